import { createCluster } from 'redis';
import { OwnRedisCluster } from '../support/own-redis-topology';

async function main() {
  let t = Date.now();
  const cluster = await OwnRedisCluster.start();
  console.log('cluster up in', Date.now() - t, 'ms', cluster.nodes.map((n) => `${n.port}:${n.pid}`));
  const shards = await cluster.shards();
  console.log(shards.map((s) => `${s.master.port}->${s.replica?.port} ${JSON.stringify(s.slots)}`));
  const client = createCluster({ rootNodes: cluster.rootNodes, RESP: 2 });
  client.on('error', (e) => console.log('cluster error', String(e)));
  client.on('node-error', (e, n) => console.log('node-error', n, String(e)));
  await client.connect();
  const sub = createCluster({ rootNodes: cluster.rootNodes, RESP: 2 });
  sub.on('error', () => undefined); sub.on('node-error', () => undefined);
  await sub.connect();
  const got: string[] = [];
  await sub.subscribe('ch', (m) => got.push(m));
  console.log('pubsub node', sub.pubSubNode?.address);
  for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) {
    await client.eval("redis.call('SET', KEYS[1], '1') redis.call('PUBLISH', ARGV[1], ARGV[2]) return 1", { keys: [`p:{${k}}`], arguments: ['ch', k] });
    console.log(k, (await cluster.masterOf(`p:{${k}}`)).port);
  }
  await new Promise((r) => setTimeout(r, 200));
  console.log('received', got);
  client.destroy(); sub.destroy();
  t = Date.now();
  await cluster.stop();
  console.log('stopped in', Date.now() - t);
}
main().catch((e) => { console.error(e); process.exit(1); });
