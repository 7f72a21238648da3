import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test file or run shares. */
export function uniquePrefix(label: string): string {
  return `test-${label}-${randomBytes(4).toString('hex')}`;
}

export type TestRedis = ReturnType<typeof createClient>;

/** A plain client for assertions (TTL, raw values), separate from the library's own. */
export async function connectTestRedis(url = REDIS_URL): Promise<TestRedis> {
  const client = createClient({ url, RESP: 2 }); // the same replies on redis 5 and 6 (6 defaults to RESP 3)
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * Deletes everything under a test prefix. Only tests scan like this: the library
 * itself never scans the keyspace.
 */
export async function deletePrefix(client: TestRedis, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) {
    if (keys.length > 0) deleted += await client.del(keys);
  }
  return deleted;
}

export async function countPrefix(client: TestRedis, prefix: string): Promise<number> {
  let count = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) {
    count += keys.length;
  }
  return count;
}
