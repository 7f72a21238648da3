import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createClient } from 'redis';
import { CacheAsideModule, CacheAsideService } from 'nest-cache-aside';
import { OwnRedis } from '../../test/support/own-redis';
import { median } from '../support/statistics';
import { fixed, thousands, type ReportTable } from '../support/report-table';

/*
 * Part 3: changing one field of a cached ~2 KB entity, three ways, on a redis-server
 * of the bench's own (so its byte counters see nothing else):
 *   patch             CacheAsideService.patch on a hash entry (one script)
 *   evict + reload    del, then the next read misses and refills (the loader answers
 *                     from memory: the database's own cost is not counted)
 *   read-modify-write get the whole string entry, change it, set it back
 * Bytes are Redis's own total_net_input/output_bytes per operation, every
 * connection included (fills also PUBLISH a wake-up to each subscriber).
 */
export interface PatchVariantResult {
  variant: string;
  microsPerOp: number;
  bytesToRedis: number;
  bytesFromRedis: number;
}

const OPS = 400;

function entity(price: number) {
  const entity: Record<string, unknown> = {
    id: 42,
    sku: 'SKU-000042',
    name: 'Adjustable standing desk, oak veneer',
    category: 'furniture',
    priceCents: price,
    stock: 17,
    createdAt: new Date('2024-01-02T03:04:05Z'),
    updatedAt: new Date(),
    rating: { count: 312, average: 4.42 },
  };
  for (let i = 0; entity.description === undefined || JSON.stringify(entity).length < 2048; i++) {
    entity.description = 'Solid frame, quiet motors, four memory presets. '.repeat(i + 1);
  }
  return entity;
}

async function netBytes(admin: ReturnType<typeof createClient>) {
  const info = await admin.info('stats');
  const read = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? 0);
  return { input: read('total_net_input_bytes'), output: read('total_net_output_bytes') };
}

export async function runPatchBench(rounds = 3): Promise<PatchVariantResult[]> {
  const server = await OwnRedis.start();
  @Module({ imports: [CacheAsideModule.forRoot({ redis: server.url, keyPrefix: 'patch-bench' })] })
  class PatchBenchModule {}
  const app = await NestFactory.createApplicationContext(PatchBenchModule, { logger: false });
  const cache = app.get(CacheAsideService);
  const admin = createClient({ url: server.url });
  await admin.connect();
  try {
    while (!(await cache.set('ready', 1, 1))) await new Promise((r) => setTimeout(r, 20));
    let price = 1000;
    const variants: Record<string, () => Promise<unknown>> = {
      patch: () => cache.patch('hash:42', { priceCents: ++price }),
      'evict + reload': async () => {
        await cache.del('hash:42');
        const current = entity(++price);
        await cache.getOrLoad('hash:42', async () => current, { storage: 'hash', ttlSeconds: 300 });
      },
      'read-modify-write': async () => {
        const current = (await cache.get<Record<string, unknown>>('string:42')) ?? entity(price);
        await cache.set('string:42', { ...current, priceCents: ++price }, 300);
      },
    };
    await cache.getOrLoad('hash:42', async () => entity(price), {
      storage: 'hash',
      ttlSeconds: 300,
    });
    await cache.set('string:42', entity(price), 300);

    const samples = new Map<string, { micros: number[]; input: number[]; output: number[] }>();
    const infoCost = await (async () => {
      const a = await netBytes(admin);
      const b = await netBytes(admin);
      return { input: b.input - a.input, output: b.output - a.output };
    })();
    for (let round = 0; round < rounds; round++) {
      for (const [name, op] of Object.entries(variants)) {
        for (let i = 0; i < 20; i++) await op(); // warm
        const before = await netBytes(admin);
        const started = performance.now();
        for (let i = 0; i < OPS; i++) await op();
        const elapsed = performance.now() - started;
        const after = await netBytes(admin);
        const sample = samples.get(name) ?? { micros: [], input: [], output: [] };
        sample.micros.push((elapsed * 1000) / OPS);
        sample.input.push((after.input - before.input - infoCost.input) / OPS);
        sample.output.push((after.output - before.output - infoCost.output) / OPS);
        samples.set(name, sample);
      }
    }
    return [...samples].map(([variant, s]) => ({
      variant,
      microsPerOp: median(s.micros),
      bytesToRedis: median(s.input),
      bytesFromRedis: median(s.output),
    }));
  } finally {
    admin.destroy();
    await app.close();
    await server.kill();
  }
}

export function patchTables(results: PatchVariantResult[]): ReportTable[] {
  const patch = results.find((r) => r.variant === 'patch')!;
  return [
    {
      title: 'Part 3: one-field update of a cached ~2 KB entity',
      notes: [
        `median of interleaved rounds, ${OPS} sequential operations each; bytes: Redis's own network counters per operation`,
        'evict + reload leaves out the database read it causes; read-modify-write is a get and a set of the whole string entry',
      ],
      columns: ['variant', 'µs/op', 'x patch', 'bytes to Redis', 'bytes from Redis'],
      rows: results.map((r) => [
        r.variant,
        fixed(r.microsPerOp, 1),
        `${fixed(r.microsPerOp / patch.microsPerOp, 2)}x`,
        thousands(r.bytesToRedis),
        thousands(r.bytesFromRedis),
      ]),
    },
  ];
}
