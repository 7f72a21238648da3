import { createClient } from 'redis';
import type TestAgent from 'supertest/lib/agent';

export type TestRedis = ReturnType<typeof createClient>;

/** A plain client for assertions and clean-up, separate from the app's own connection. */
export async function connectTestRedis(url: string): Promise<TestRedis> {
  const client = createClient({ url, RESP: 2 }); // the same replies on redis 5 and 6 (6 defaults to RESP 3)
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * Deletes every key under a test's prefix. Only tests scan like this: the app and the
 * cache library never walk the keyspace.
 */
export async function deleteKeysUnder(client: TestRedis, prefix: string): Promise<void> {
  for await (const keys of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) {
    if (keys.length > 0) await client.del(keys);
  }
}

export async function keysUnder(client: TestRedis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const keys of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) {
    found.push(...keys);
  }
  return found;
}

/**
 * The cache connects in the background (the app boots without Redis), so a test that
 * expects MISS/HIT rather than BYPASS waits until readiness sees Redis up.
 */
export async function waitForCache(http: TestAgent, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await http.get('/health/ready');
    if ((res.body as { info?: { redis?: { status?: string } } }).info?.redis?.status === 'up') {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`the app's cache never reached Redis: ${JSON.stringify(res.body)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
