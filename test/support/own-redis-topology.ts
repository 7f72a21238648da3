import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';

/**
 * Redis topologies of a test's own, on loopback only: a 3-master Redis Cluster with
 * one replica per master, and 1 master + 1 replica + 1 sentinel. Every redis-server
 * runs in a temp dir of its own on a spare port; the harness stops exactly the
 * processes it started, by pid, and removes their dirs.
 */

const HOST = '127.0.0.1';
const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Every server started by this process, killed on exit if a test forgot (or crashed). */
const started = new Set<RedisProcess>();
process.once('exit', () => {
  for (const server of started) server.killNow();
});

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

const taken = new Set<number>();

/**
 * A port below the ephemeral range whose port + 10000 (the cluster bus) is free too.
 * Free now is not free forever: a server that fails to bind is restarted elsewhere.
 */
export async function spareClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (taken.has(port)) continue;
    if ((await canListen(port)) && (await canListen(port + 10000))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no spare loopback port pair found');
}

/** One redis-server (or sentinel) process of ours. */
export class RedisProcess {
  private child?: ChildProcess;
  readonly dir: string;

  constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly configFile?: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `redis-${port}-`));
  }

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  get address(): string {
    return `${HOST}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const args = this.configFile
      ? [this.writeConfig(), ...this.args]
      : ['--port', String(this.port), '--bind', HOST, '--dir', this.dir, ...this.args];
    const child = spawn('redis-server', args, { cwd: this.dir, stdio: 'ignore' });
    this.child = child;
    started.add(this);
    for (let i = 0; i < 100; i++) {
      if (!this.running) throw new Error(`redis-server on ${this.port} exited at start`);
      if (await this.answers()) return;
      await sleep(50);
    }
    throw new Error(`redis-server on ${this.port} did not answer`);
  }

  private writeConfig(): string {
    const path = join(this.dir, 'redis.conf');
    writeFileSync(path, `port ${this.port}\nbind ${HOST}\ndir ${this.dir}\n${this.configFile}`);
    return path;
  }

  private async answers(): Promise<boolean> {
    const client = createClient({ url: this.url, RESP: 2, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return true;
    } catch {
      return false;
    } finally {
      client.destroy();
    }
  }

  /** One command on a short-lived connection of its own. */
  async command(...args: string[]): Promise<unknown> {
    const client = createClient({ url: this.url, RESP: 2, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await client.sendCommand(args);
    } finally {
      client.destroy();
    }
  }

  async info(section: string): Promise<Record<string, string>> {
    const text = String(await this.command('INFO', section));
    return Object.fromEntries(
      text
        .split('\r\n')
        .filter((line) => line.includes(':'))
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
    );
  }

  /**
   * When this server, a replica, reports itself a master (polled every 20 ms, on a
   * new connection each time: Sentinel kills the clients of a replica it promotes).
   */
  async becomesMaster(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const role = await this.command('ROLE').catch(() => undefined);
      if (Array.isArray(role) && role[0] === 'master') return Date.now();
      await sleep(20);
    }
    throw new Error(`${this.address} was not promoted within ${timeoutMs} ms`);
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  killNow(): void {
    if (this.running) this.child!.kill('SIGKILL');
  }

  /** Kills the process and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    started.delete(this);
    taken.delete(this.port);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function startOnSparePort(make: (port: number) => RedisProcess): Promise<RedisProcess> {
  for (let attempt = 0; ; attempt++) {
    const port = await spareClusterPort();
    const server = make(port);
    try {
      await server.start();
      return server;
    } catch (error) {
      await server.stop();
      if (attempt >= 4) throw error;
    }
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface ClusterShard {
  master: RedisProcess;
  replica?: RedisProcess;
  /** Slot ranges the master serves, [from, to] inclusive. */
  slots: Array<[number, number]>;
}

/** 3 masters + 1 replica each, created with `redis-cli --cluster create`. */
export class OwnRedisCluster {
  private constructor(readonly nodes: RedisProcess[]) {}

  static async start(masters = 3): Promise<OwnRedisCluster> {
    const nodes: RedisProcess[] = [];
    try {
      for (let i = 0; i < masters * 2; i++) {
        nodes.push(
          await startOnSparePort(
            (port) =>
              new RedisProcess(port, [
                '--cluster-enabled',
                'yes',
                '--cluster-config-file',
                'nodes.conf',
                '--cluster-node-timeout',
                '2000',
                '--repl-diskless-sync-delay',
                '0',
                '--save',
                '',
                '--appendonly',
                'no',
              ]),
          ),
        );
      }
      await run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...nodes.map((n) => n.address),
          '--cluster-replicas',
          '1',
          '--cluster-yes',
        ],
        { timeout: 30_000 },
      );
      const cluster = new OwnRedisCluster(nodes);
      await cluster.waitUntilHealthy();
      return cluster;
    } catch (error) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw error;
    }
  }

  /** Root nodes for node-redis' `createCluster`. */
  get rootNodes(): Array<{ url: string }> {
    return this.nodes.map((n) => ({ url: n.url }));
  }

  /**
   * `cluster_state:ok` on every running node, every node sees every running node
   * without fail flags and agrees on which are replicas, and at least
   * `expectedReplicas` replicas are in sync with their master.
   */
  async waitUntilHealthy(
    expectedReplicas = this.nodes.length / 2,
    timeoutMs = 30_000,
  ): Promise<void> {
    await waitFor(
      `cluster_state:ok and ${expectedReplicas} replicas in sync`,
      async () => {
        const running = this.nodes.filter((n) => n.running);
        const replicas: RedisProcess[] = [];
        for (const node of running) {
          const replication = await node.info('replication');
          if (replication.role !== 'slave') continue;
          if (replication.master_link_status !== 'up') return false;
          replicas.push(node);
        }
        if (replicas.length < expectedReplicas) return false;
        for (const node of running) {
          const info = String(await node.command('CLUSTER', 'INFO'));
          if (!info.includes('cluster_state:ok')) return false;
          const view = String(await node.command('CLUSTER', 'NODES'))
            .trim()
            .split('\n');
          const flagsOf = new Map(
            view.map((line) => {
              const [, address, flags] = line.split(' ');
              return [address.split('@')[0], flags];
            }),
          );
          // a killed node stays "fail" in every view; running ones must be seen, clean
          for (const other of running) {
            const flags = flagsOf.get(other.address);
            if (!flags || /fail|handshake|noaddr/.test(flags)) return false;
            if (replicas.includes(other) !== flags.includes('slave')) return false;
          }
        }
        return true;
      },
      timeoutMs,
    );
  }

  /** The shards as a running node sees them now (masters change after a failover). */
  async shards(): Promise<ClusterShard[]> {
    const asker = this.nodes.find((n) => n.running)!;
    const lines = String(await asker.command('CLUSTER', 'NODES'))
      .trim()
      .split('\n');
    const nodes = lines.map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.split(' ');
      const port = Number(address.split('@')[0].split(':')[1]);
      return { id, flags, masterId, slots, server: this.nodes.find((n) => n.port === port)! };
    });
    return nodes
      .filter((n) => n.flags.includes('master') && !n.flags.includes('fail') && n.slots.length)
      .map((master) => ({
        master: master.server,
        replica: nodes.find((n) => n.masterId === master.id && !n.flags.includes('fail'))?.server,
        slots: master.slots
          .filter((range) => !range.startsWith('['))
          .map((range) => {
            const [from, to = from] = range.split('-').map(Number);
            return [from, to] as [number, number];
          }),
      }));
  }

  /** The hash slot of a key (by its `{hash tag}`, as Redis computes it). */
  async slotOf(key: string): Promise<number> {
    const asker = this.nodes.find((n) => n.running)!;
    return Number(await asker.command('CLUSTER', 'KEYSLOT', key));
  }

  /** The master serving a key's slot now. */
  async masterOf(key: string): Promise<RedisProcess> {
    const slot = await this.slotOf(key);
    const shard = (await this.shards()).find((s) =>
      s.slots.some(([from, to]) => slot >= from && slot <= to),
    );
    if (!shard) throw new Error(`no master serves slot ${slot}`);
    return shard.master;
  }

  /** Stops exactly the processes this harness started. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

/** 1 master + 1 replica, watched by 1 sentinel (quorum 1, down after 2 s, no auth). */
export class OwnRedisSentinel {
  static readonly NAME = 'cache-test';
  /**
   * Sentinel's down-after-milliseconds. Not below 2 s: Sentinel reconnects its link to
   * a newly promoted master up to 1 s late, and a shorter down-after then flags the new
   * master down too (a second, spurious failover round).
   */
  static readonly DOWN_AFTER_MS = 2000;

  private constructor(
    readonly master: RedisProcess,
    readonly replica: RedisProcess,
    readonly sentinel: RedisProcess,
  ) {}

  static async start(): Promise<OwnRedisSentinel> {
    const servers: RedisProcess[] = [];
    const data = ['--repl-diskless-sync-delay', '0', '--save', '', '--appendonly', 'no'];
    try {
      const master = await startOnSparePort((port) => new RedisProcess(port, data));
      servers.push(master);
      const replica = await startOnSparePort(
        (port) => new RedisProcess(port, [...data, '--replicaof', HOST, String(master.port)]),
      );
      servers.push(replica);
      const name = OwnRedisSentinel.NAME;
      const sentinel = await startOnSparePort(
        (port) =>
          new RedisProcess(
            port,
            ['--sentinel'],
            [
              `sentinel monitor ${name} ${HOST} ${master.port} 1`,
              `sentinel down-after-milliseconds ${name} ${OwnRedisSentinel.DOWN_AFTER_MS}`,
              `sentinel failover-timeout ${name} 10000`,
              `sentinel parallel-syncs ${name} 1`,
              '',
            ].join('\n'),
          ),
      );
      servers.push(sentinel);
      const topology = new OwnRedisSentinel(master, replica, sentinel);
      await topology.waitUntilHealthy();
      return topology;
    } catch (error) {
      await Promise.all(servers.map((s) => s.stop()));
      throw error;
    }
  }

  /** Root nodes for node-redis' `createSentinel`. */
  get sentinelRootNodes(): Array<{ host: string; port: number }> {
    return [{ host: HOST, port: this.sentinel.port }];
  }

  /** The master the sentinel names now. */
  async currentMaster(): Promise<RedisProcess> {
    const [, port] = (await this.sentinel.command(
      'SENTINEL',
      'GET-MASTER-ADDR-BY-NAME',
      OwnRedisSentinel.NAME,
    )) as [string, string];
    return [this.master, this.replica].find((s) => s.port === Number(port))!;
  }

  /** The sentinel knows the master and its replica, and the replica is in sync. */
  async waitUntilHealthy(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      'sentinel to see the master and its replica in sync',
      async () => {
        const master = await this.currentMaster();
        const replica = master === this.master ? this.replica : this.master;
        if (!replica.running) return false;
        const fields = (await this.sentinel.command(
          'SENTINEL',
          'MASTER',
          OwnRedisSentinel.NAME,
        )) as string[];
        const state = Object.fromEntries(
          fields.flatMap((v, i) => (i % 2 === 0 ? [[v, fields[i + 1]]] : [])),
        );
        if (state.flags !== 'master' || state['num-slaves'] !== '1') return false;
        const replication = await replica.info('replication');
        return replication.role === 'slave' && replication.master_link_status === 'up';
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await Promise.all([this.sentinel, this.master, this.replica].map((s) => s.stop()));
  }
}

/**
 * Why these topologies can't run here (undefined when they can): the specs skip
 * with this reason, and only for it.
 */
export function topologyUnavailableReason(): string | undefined {
  for (const binary of ['redis-server', 'redis-cli']) {
    const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) return `${binary} is not installed`;
  }
  const version = /v=(\d+)\.(\d+)/.exec(
    spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout,
  );
  if (!version || Number(version[1]) < 7) {
    return 'redis-server 7 or later is needed (the scripts use PEXPIRE NX/GT)';
  }
  return undefined;
}
