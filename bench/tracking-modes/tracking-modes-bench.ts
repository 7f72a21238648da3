import { createClient } from 'redis';
import { deleteByPrefix, REDIS_URL, uniquePrefix } from '../support/redis-admin';
import { fixed, thousands, type ReportTable } from '../support/report-table';
import { percentile } from '../support/statistics';

/*
 * Why the near cache tracks in broadcast mode: both modes of Redis client tracking, raw
 * node-redis, side by side. A writer rewrites 2,000 keys round robin (paced) while a
 * reader holds 200 of them (a near cache's working set: it reads a key again as soon as it
 * was invalidated, which re-registers it in the default mode). Measured at the reader:
 * invalidation messages and keys received per second, how many of those keys it held, and
 * the delivery time of an invalidation of a held key (writer's SET resolved -> message
 * received, one clock: both in this process).
 */
const KEYS = 2000;
const HELD = 200;
const SECONDS = 3;

type Mode = 'default' | 'broadcast';

export interface TrackingModeResult {
  mode: Mode;
  messagesPerSecond: number;
  keysPerSecond: number;
  heldShare: number;
  deliveryP50Ms: number;
  deliveryP99Ms: number;
  writesPerSecond: number;
}

async function measure(mode: Mode): Promise<TrackingModeResult> {
  const prefix = uniquePrefix('tracking-modes');
  const entry = (i: number) => `${prefix}:{k${i}}`;
  const receiver = createClient({ url: REDIS_URL, RESP: 2 });
  const reader = createClient({ url: REDIS_URL, RESP: 2 });
  const writer = createClient({ url: REDIS_URL, RESP: 2 });
  await Promise.all([receiver.connect(), reader.connect(), writer.connect()]);
  for (let i = 0; i < KEYS; i++) await writer.set(entry(i), 'v');
  const receiverId = await receiver.sendCommand<number>(['CLIENT', 'ID']);
  if (mode === 'broadcast') {
    await receiver.sendCommand([
      ...['CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(receiverId)],
      ...['BCAST', 'PREFIX', `${prefix}:{`],
    ]);
  } else {
    await reader.sendCommand(['CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(receiverId)]);
  }
  const held = new Set(Array.from({ length: HELD }, (_, i) => entry(i * (KEYS / HELD))));
  /** Held keys written and not yet reported: when the reader heard of it, if it has. */
  const pending = new Map<string, { receivedAt?: number }>();
  const deliveries: number[] = [];
  let messages = 0;
  let keys = 0;
  let heldKeys = 0;
  let measuring = false;
  await receiver.subscribe('__redis__:invalidate', (message) => {
    const changed = message as unknown as string[] | null;
    if (!measuring || changed === null) return;
    messages++;
    const now = performance.now();
    for (const key of changed) {
      keys++;
      if (!held.has(key)) continue;
      heldKeys++;
      const write = pending.get(key);
      if (write && write.receivedAt === undefined) write.receivedAt = now;
      void reader.get(key); // a near cache reads it again: re-registers it (default mode)
    }
  });
  for (const key of held) await reader.get(key);
  measuring = true;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  let writes = 0;
  // paced (5 keys a millisecond, about 4,000 writes/s), so the process isn't saturated and
  // a delivery time is Redis's and the socket's, not a queue in this event loop
  while (performance.now() < deadline) {
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const key = entry(writes++ % KEYS);
        const write: { receivedAt?: number } | undefined =
          held.has(key) && !pending.has(key) ? {} : undefined;
        if (write) pending.set(key, write);
        await writer.set(key, 'v');
        if (!write) return;
        // the window: from the write resolving to the reader hearing of it (0 if it heard first)
        const resolvedAt = performance.now();
        await until(() => write.receivedAt !== undefined, 2000);
        deliveries.push(Math.max(0, (write.receivedAt ?? Infinity) - resolvedAt));
        pending.delete(key);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  const seconds = (performance.now() - started) / 1000;
  measuring = false;
  deliveries.sort((a, b) => a - b);
  await deleteByPrefix(writer, prefix);
  for (const client of [receiver, reader, writer]) client.destroy();
  return {
    mode,
    messagesPerSecond: messages / seconds,
    keysPerSecond: keys / seconds,
    heldShare: keys === 0 ? 0 : heldKeys / keys,
    deliveryP50Ms: percentile(deliveries, 50),
    deliveryP99Ms: percentile(deliveries, 99),
    writesPerSecond: writes / seconds,
  };
}

export async function runTrackingModesBench(): Promise<TrackingModeResult[]> {
  const results: TrackingModeResult[] = [];
  for (const mode of ['default', 'broadcast', 'default', 'broadcast'] as const) {
    results.push(await measure(mode));
  }
  return results;
}

export function trackingModesTables(results: TrackingModeResult[]): ReportTable[] {
  return [
    {
      title: 'Client tracking modes: what a reader holding 200 of 2,000 rewritten keys receives',
      notes: [
        'Raw node-redis, RESP2 redirect. A writer rewrites 2,000 keys round robin, 5 every millisecond; the reader holds 200 and re-reads each invalidated one.',
        "Delivery (the staleness window): a held key's SET resolved at the writer -> its invalidation received by the reader (one process, one clock; 0 when it came first). Two runs of each mode.",
      ],
      columns: ['mode', 'writes/s', 'messages/s', 'keys/s', 'of them held', 'delivery p50', 'p99'],
      rows: results.map((r) => [
        r.mode,
        thousands(r.writesPerSecond),
        thousands(r.messagesPerSecond),
        thousands(r.keysPerSecond),
        `${fixed(r.heldShare * 100, 0)}%`,
        `${fixed(r.deliveryP50Ms, 3)} ms`,
        `${fixed(r.deliveryP99Ms, 3)} ms`,
      ]),
    },
  ];
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}
