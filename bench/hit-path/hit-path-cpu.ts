import { CACHE_ASIDE_REDIS_CLIENT } from '../../libs/cache-aside/src/cache-aside.constants';
import { CommandDeadlines } from '../../libs/cache-aside/src/redis/command-deadlines';
import { decodeEntry, encodeEntry } from '../../libs/cache-aside/src/serialization/cache-entry';
import { decodeValue, encodeValue } from '../../libs/cache-aside/src/serialization/value-codec';
import { CacheTelemetry } from '../../libs/cache-aside/src/observability/cache-telemetry';
import { cacheKey } from 'nest-cache-aside';
import type { BenchApp } from '../support/bench-app';
import { makeProduct } from '../support/product-fixture';
import { median, rotate } from '../support/statistics';

/*
 * CPU cost of each layer of our hit path with Redis taken out: the value codec against
 * JSON.parse, then whole reads through an app whose Redis client answers GET from
 * memory (after one real GET per key), so what remains is our own code. µs per call,
 * median of interleaved rounds.
 */
export interface CpuCase {
  name: string;
  /** The case this one is compared with (its 'x' column). */
  baseline: string;
  run: () => unknown;
  async?: boolean;
}

export interface CpuResult {
  name: string;
  baseline: string;
  microsPerCall: number;
  ratio: number;
}

const ITERATIONS = 4000;

const deadlines = new CommandDeadlines(100);

/** What the store does around each command: our own timeout, without a timer per call. */
function boundedByDeadline<T>(command: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const pending = deadlines.start('GET', reject);
    command.then(
      (value) => deadlines.finish(pending) && resolve(value),
      (error: Error) => deadlines.finish(pending) && reject(error),
    );
  });
}
const PRODUCT_ID = 7;

type GetFunction = (key: string) => Promise<string | null>;

/**
 * Makes `memoryApp`'s own Redis client answer GET from memory after the first real
 * one per key. Returns how many GETs it answered so (to check the reads went through it).
 */
function answerGetsFromMemory(memoryApp: BenchApp): () => number {
  const client = memoryApp.app.get<{ get: GetFunction }>(CACHE_ASIDE_REDIS_CLIENT);
  const realGet: GetFunction = client.get.bind(client);
  const memory = new Map<string, string | null>();
  let answered = 0;
  client.get = (key) => {
    if (memory.has(key)) {
      answered++;
      return Promise.resolve(memory.get(key) ?? null);
    }
    return realGet(key).then((text) => {
      memory.set(key, text);
      return text;
    });
  };
  return () => answered;
}

/**
 * `near`: apps with the near cache (values copied / frozen), whose hits never reach Redis
 * once the warm-up rounds have read the key.
 */
export function hitPathCpuCases(memoryApp: BenchApp, near: { copy: BenchApp; frozen: BenchApp }) {
  const product = makeProduct(PRODUCT_ID);
  const json = JSON.stringify(product);
  const valueText = encodeValue(product);
  const entryText = encodeEntry(product, Date.now() + 3_600_000, 0);
  const answeredFromMemory = answerGetsFromMemory(memoryApp);
  const key = cacheKey('p', PRODUCT_ID);
  const options = { ttlSeconds: 3600 };
  const loader = () => product;
  const service = memoryApp.cacheAside;
  const catalog = memoryApp.catalog;
  // what the OpenTelemetry / diagnostics_channel hooks add to a hit when no SDK is
  // registered (the API itself is installed here): the read wrapper and the hit's event
  const telemetry = new CacheTelemetry('bench');
  const resolvedHit = Promise.resolve({ value: product, status: 'HIT' as const });

  const cases: CpuCase[] = [
    { name: 'JSON.parse', baseline: 'JSON.parse', run: () => JSON.parse(json) },
    {
      name: 'JSON.parse + 2 Dates revived by hand',
      baseline: 'JSON.parse',
      run: () => {
        const value = JSON.parse(json);
        value.createdAt = new Date(value.createdAt);
        value.updatedAt = new Date(value.updatedAt);
        return value;
      },
    },
    { name: 'decodeValue (codec)', baseline: 'JSON.parse', run: () => decodeValue(valueText) },
    {
      name: 'decodeEntry (header+codec)',
      baseline: 'JSON.parse',
      run: () => decodeEntry(entryText),
    },
    {
      name: 'telemetry hooks of a hit, no OTel SDK',
      baseline: 'JSON.parse',
      run: () => {
        telemetry.event('hits', key);
        return telemetry.read(key, () => resolvedHit);
      },
    },
    {
      name: 'await GET + JSON.parse',
      baseline: 'await GET + JSON.parse',
      async: true,
      run: async () => JSON.parse(await Promise.resolve(json)),
    },
    {
      name: 'await deadline-bounded GET + JSON.parse',
      baseline: 'await GET + JSON.parse',
      async: true,
      run: async () => JSON.parse(await boundedByDeadline(Promise.resolve(json))),
    },
    {
      name: 'getOrLoad (GET from memory)',
      baseline: 'await GET + JSON.parse',
      async: true,
      run: () => service.getOrLoad(key, loader, options),
    },
    {
      name: '@Cacheable (GET from memory)',
      baseline: 'await GET + JSON.parse',
      async: true,
      run: () => catalog.findOne(PRODUCT_ID),
    },
    {
      name: 'getOrLoad, near hit (copy)',
      baseline: 'await GET + JSON.parse',
      async: true,
      run: () => near.copy.cacheAside.getOrLoad(key, loader, options),
    },
    {
      name: 'getOrLoad, near hit (frozen)',
      baseline: 'await GET + JSON.parse',
      async: true,
      run: () => near.frozen.cacheAside.getOrLoad(key, loader, options),
    },
  ];
  return {
    cases,
    answeredFromMemory,
    sizes: { jsonChars: json.length, codecChars: valueText.length, entryChars: entryText.length },
  };
}

export async function measureCpu(cases: CpuCase[], rounds: number): Promise<CpuResult[]> {
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  let sink: unknown;
  for (let round = -2; round < rounds; round++) {
    for (const c of rotate(cases, round)) {
      const started = process.hrtime.bigint();
      if (c.async) for (let i = 0; i < ITERATIONS; i++) sink = await c.run();
      else for (let i = 0; i < ITERATIONS; i++) sink = c.run();
      const micros = Number(process.hrtime.bigint() - started) / ITERATIONS / 1000;
      if (round >= 0) samples.get(c.name)?.push(micros); // rounds -2 and -1 warm the JIT
    }
  }
  if (sink === Symbol.for('never')) console.log(sink);
  const medians = new Map(cases.map((c) => [c.name, median(samples.get(c.name) ?? [])]));
  return cases.map((c) => ({
    name: c.name,
    baseline: c.baseline,
    microsPerCall: medians.get(c.name) ?? NaN,
    ratio: (medians.get(c.name) ?? NaN) / (medians.get(c.baseline) ?? NaN),
  }));
}
