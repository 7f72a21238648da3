import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type AdminRedis = ReturnType<typeof createClient>;

/** A key prefix no other run shares; every key the bench writes starts with `<prefix>:`. */
export function uniquePrefix(part: string): string {
  return `bench-${part}-${randomBytes(4).toString('hex')}`;
}

export async function connectAdmin(): Promise<AdminRedis> {
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** The bench may scan (the library never does). */
export async function deleteByPrefix(client: AdminRedis, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
    if (keys.length > 0) deleted += await client.unlink(keys);
  }
  return deleted;
}

/** Commands the server has executed so far (INFO commandstats; script bodies included). */
export async function commandsExecuted(client: AdminRedis): Promise<number> {
  const info = await client.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) total += Number(match[1]);
  return total;
}

export async function serverVersion(client: AdminRedis): Promise<string> {
  const info = await client.info('server');
  return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
}
