import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createClient } from 'redis';
import { CacheAsideModule, CacheAsideService } from 'nest-cache-aside';
import { OwnRedis } from '../../test/support/own-redis';
import { fixed, thousands, type ReportTable } from '../support/report-table';
import { median, rotate, summarize } from '../support/statistics';

/*
 * Part 6: what an invalidation costs the writer, on a redis-server of the bench's own:
 *   del of one key                    the untagged write's eviction
 *   invalidateTags, 1 entry           a tag with one entry
 *   invalidateTags, 20,000 entries    a tag with 20,000 entries (the catalog's category
 *                                     pages once clients asked for many page variants)
 * Interleaved rounds, rotated order; latency per call and Redis commands per call (Redis's
 * own total_commands_processed, so commands run inside scripts count too).
 */
export interface InvalidationResult {
  variant: string;
  p50Ms: number;
  p99Ms: number;
  commandsPerCall: number;
}

const WIDE_TAG_ENTRIES = 20_000;
const CALLS = 200;

async function commandsProcessed(admin: ReturnType<typeof createClient>): Promise<number> {
  const info = await admin.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

export async function runInvalidationBench(rounds = 5): Promise<InvalidationResult[]> {
  const server = await OwnRedis.start();
  @Module({
    imports: [CacheAsideModule.forRoot({ redis: server.url, keyPrefix: 'invalidation-bench' })],
  })
  class InvalidationBenchModule {}
  const app = await NestFactory.createApplicationContext(InvalidationBenchModule, {
    logger: false,
  });
  const cache = app.get(CacheAsideService);
  const admin = createClient({ url: server.url });
  await admin.connect();
  try {
    while (!(await cache.set('ready', 1, 1))) await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < WIDE_TAG_ENTRIES; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, j) =>
          cache.set(`page:${i + j}`, { page: i + j }, 3600, { tags: ['category:wide'] }),
        ),
      );
    }
    await cache.set('page:narrow', { page: 0 }, 3600, { tags: ['category:narrow'] });
    const variants: Record<string, () => Promise<unknown>> = {
      'del of one key': () => cache.del('product:1'),
      'invalidateTags, 1 entry': () => cache.invalidateTags('category:narrow'),
      [`invalidateTags, ${thousands(WIDE_TAG_ENTRIES)} entries`]: () =>
        cache.invalidateTags('category:wide'),
    };
    const samples = new Map<string, { latencies: number[]; commands: number[] }>();
    for (let round = 0; round < rounds; round++) {
      for (const [name, call] of rotate(Object.entries(variants), round)) {
        for (let i = 0; i < 20; i++) await call(); // warm
        const latencies: number[] = [];
        const before = await commandsProcessed(admin);
        for (let i = 0; i < CALLS; i++) {
          const started = performance.now();
          await call();
          latencies.push(performance.now() - started);
        }
        const commands = (await commandsProcessed(admin)) - before - 1; // less the INFO itself
        const sample = samples.get(name) ?? { latencies: [], commands: [] };
        sample.latencies.push(...latencies);
        sample.commands.push(commands / CALLS);
        samples.set(name, sample);
      }
    }
    return Object.keys(variants).map((variant) => {
      const { latencies, commands } = samples.get(variant)!;
      const summary = summarize(latencies);
      return {
        variant,
        p50Ms: summary.p50,
        p99Ms: summary.p99,
        commandsPerCall: median(commands),
      };
    });
  } finally {
    admin.destroy();
    await app.close();
    await server.kill();
  }
}

export function invalidationTables(results: InvalidationResult[]): ReportTable[] {
  const del = results[0];
  return [
    {
      title: 'Part 6: what an invalidation costs the writer',
      notes: [
        `${CALLS} sequential calls per variant and round, interleaved rounds; commands: Redis's total_commands_processed per call (commands inside scripts included)`,
        'tags are versioned: an invalidation raises the tag sequence and stamps the tag, whatever the number of its entries',
      ],
      columns: ['variant', 'p50 ms', 'p99 ms', 'x del p50', 'Redis commands per call'],
      rows: results.map((r) => [
        r.variant,
        fixed(r.p50Ms, 3),
        fixed(r.p99Ms, 3),
        `${fixed(r.p50Ms / del.p50Ms, 2)}x`,
        fixed(r.commandsPerCall, 1),
      ]),
    },
  ];
}
