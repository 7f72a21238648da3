import type { createClient } from 'redis';

export interface Keyspace {
  /** DBSIZE before the scan: includes expired keys Redis has not reclaimed yet. */
  held: number;
  /** Live keys (SCAN). */
  keys: number;
  /** Keys whose TTL is -1 (no expiry): must be 0. */
  keysWithoutTtl: number;
  usedMemoryBytes: number;
  /** used_memory_dataset: used_memory less the server's own overhead. */
  datasetBytes: number;
}

/**
 * What Redis holds (DBSIZE: expired keys its expiry has not reclaimed yet count too), then
 * the live keys and those without a TTL by SCAN + TTL (the server holds only this part's
 * keys; SCAN skips and reclaims expired ones), then used_memory after that.
 */
export async function keyspace(admin: ReturnType<typeof createClient>): Promise<Keyspace> {
  const held = await admin.dbSize();
  let keys = 0;
  let keysWithoutTtl = 0;
  for await (const batch of admin.scanIterator({ COUNT: 1000 })) {
    if (batch.length === 0) continue;
    const multi = admin.multi();
    for (const key of batch) multi.ttl(key);
    const ttls = (await multi.exec()) as unknown as number[];
    keys += ttls.filter((ttl) => ttl !== -2).length;
    keysWithoutTtl += ttls.filter((ttl) => ttl === -1).length;
  }
  const info = await admin.info('memory');
  return {
    held,
    keys,
    keysWithoutTtl,
    usedMemoryBytes: Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN),
    datasetBytes: Number(/^used_memory_dataset:(\d+)/m.exec(info)?.[1] ?? NaN),
  };
}
