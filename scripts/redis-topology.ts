/**
 * Starts a local Redis Cluster (3 masters + 3 replicas) or Sentinel setup (1 master +
 * 1 replica + 1 sentinel) on spare loopback ports, prints the `redis` option that
 * connects the library to it, and stops exactly the processes it started on Ctrl-C.
 * The same harness the test suite uses (test/support/own-redis-topology.ts).
 *
 *   npm run redis:cluster
 *   npm run redis:sentinel
 */
import { OwnRedisCluster, OwnRedisSentinel } from '../test/support/own-redis-topology';

async function main() {
  const kind = process.argv[2];
  if (kind !== 'cluster' && kind !== 'sentinel') {
    throw new Error('usage: redis-topology.ts cluster|sentinel');
  }
  const topology =
    kind === 'cluster' ? await OwnRedisCluster.start() : await OwnRedisSentinel.start();
  const redis =
    topology instanceof OwnRedisCluster
      ? { cluster: { rootNodes: topology.rootNodes } }
      : {
          sentinel: { name: OwnRedisSentinel.NAME, sentinelRootNodes: topology.sentinelRootNodes },
        };
  process.stdout.write(
    `Redis ${kind} is up. Connect with:\n\n  CacheAsideModule.forRoot({ redis: ${JSON.stringify(redis)} })\n\nCtrl-C stops it.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await topology.stop();
  process.stdout.write(`Stopped the ${kind}.\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
