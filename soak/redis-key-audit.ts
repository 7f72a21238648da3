import { createClient } from 'redis';

export interface RedisKeyAudit {
  keys: number;
  withoutTtl: number;
  /** A few of the keys without a TTL, to look at. */
  examples: string[];
  /** The server's process id (it changes with every restart after a kill). */
  pid: number;
  usedMemoryBytes: number;
}

/**
 * Every key in the soak's own Redis and whether it expires. The library promises that
 * every key it writes has a TTL; only this audit walks the keyspace (SCAN), never the app.
 */
export async function auditRedisKeys(url: string): Promise<RedisKeyAudit> {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    let keys = 0;
    const examples: string[] = [];
    let withoutTtl = 0;
    for await (const batch of client.scanIterator({ COUNT: 1_000 })) {
      if (batch.length === 0) continue;
      const ttls = await Promise.all(batch.map((key) => client.pTTL(key)));
      keys += batch.length;
      ttls.forEach((ttl, i) => {
        if (ttl !== -1) return;
        withoutTtl += 1;
        if (examples.length < 5) examples.push(batch[i]);
      });
    }
    const server = await client.info('server');
    const memory = await client.info('memory');
    return {
      keys,
      withoutTtl,
      examples,
      pid: Number(/process_id:(\d+)/.exec(server)?.[1]),
      usedMemoryBytes: Number(/used_memory:(\d+)/.exec(memory)?.[1]),
    };
  } finally {
    client.destroy();
  }
}

/** The server's process id, for its resident memory. */
export async function redisPid(url: string): Promise<number> {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
  } finally {
    client.destroy();
  }
}
