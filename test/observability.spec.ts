import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { sleep, startCacheApp, type CacheApp } from './support/cache-app';
import { freePort } from './support/own-redis';
import { connectTestRedis, deletePrefix, uniquePrefix, type TestRedis } from './support/redis';

jest.setTimeout(30_000);

/** The spans of one trace as an indented tree, with each span's events: for the README too. */
function renderTrace(spans: ReadableSpan[], root: ReadableSpan): string {
  const lines: string[] = [];
  const walk = (span: ReadableSpan, depth: number) => {
    const ms = (span.duration[0] * 1e3 + span.duration[1] / 1e6).toFixed(1);
    const status = span.attributes['cache.status']
      ? ` ${String(span.attributes['cache.status'])}`
      : '';
    lines.push(
      `${'  '.repeat(depth)}${span.name}${status} ${ms} ms  key=${String(span.attributes['cache.key'])}`,
    );
    for (const event of span.events) lines.push(`${'  '.repeat(depth + 1)}event ${event.name}`);
    for (const child of spans.filter(
      (s) => s.parentSpanContext?.spanId === span.spanContext().spanId,
    )) {
      walk(child, depth + 1);
    }
  };
  walk(root, 0);
  return lines.join('\n');
}

describe('OpenTelemetry spans and metrics, diagnostics_channel events (real Redis)', () => {
  const prefix = uniquePrefix('otel');
  const spans = new InMemorySpanExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const metricReader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 60_000,
  });
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  const meterProvider = new MeterProvider({ readers: [metricReader] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  let redis: TestRedis;
  let node: CacheApp;
  let peer: CacheApp;

  beforeAll(async () => {
    // what an app's OpenTelemetry SDK set-up does before Nest starts
    context.setGlobalContextManager(contextManager);
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    redis = await connectTestRedis();
    node = await startCacheApp({ keyPrefix: prefix, earlyRefresh: false });
    peer = await startCacheApp({ keyPrefix: prefix, earlyRefresh: false });
  });

  afterAll(async () => {
    await Promise.all([node.close(), peer.close()]);
    await deletePrefix(redis, prefix);
    redis.destroy();
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
    trace.disable();
    metrics.disable();
    context.disable();
  });

  beforeEach(() => spans.reset());

  const readSpans = (key: string) =>
    spans
      .getFinishedSpans()
      .filter((s) => s.name.startsWith('cache.read') && s.attributes['cache.key'] === key);

  it("a miss with a lease wait: the holder's read has the load as a child span, the waiter a lease-wait event", async () => {
    const holder = node.cache.getOrLoad('product:1', async () => {
      await sleep(150);
      return 'row';
    });
    await sleep(20);
    const waiter = peer.cache.getOrLoadWithStatus('product:1', async () => 'not this');
    expect(await holder).toBe('row');
    expect(await waiter).toEqual({ value: 'row', status: 'HIT', source: 'redis' });

    const [holderRead, waiterRead] = readSpans('product:1').sort(
      (a, b) => a.startTime[1] - b.startTime[1] + (a.startTime[0] - b.startTime[0]) * 1e9,
    );
    expect(holderRead.name).toBe('cache.read default');
    expect(holderRead.attributes).toMatchObject({
      'cache.name': 'default',
      'cache.key': 'product:1',
      'cache.status': 'MISS',
    });
    const load = spans
      .getFinishedSpans()
      .find((s) => s.name === 'cache.load default' && s.attributes['cache.key'] === 'product:1')!;
    expect(load.parentSpanContext?.spanId).toBe(holderRead.spanContext().spanId);
    expect(waiterRead.attributes['cache.status']).toBe('HIT');
    expect(waiterRead.events.map((event) => event.name)).toContain('cache.leaseWaits');
    console.info(
      `a miss and a waiter in another instance:\n${renderTrace(spans.getFinishedSpans(), holderRead)}\n${renderTrace(spans.getFinishedSpans(), waiterRead)}`,
    );
  });

  it('a stale value and a Redis error are events on the read span', async () => {
    await node.cache.getOrLoad('stale:1', async () => 'old', {
      ttlSeconds: 0.05,
      graceSeconds: 30,
    });
    await sleep(80);
    expect(
      await node.cache.getOrLoadWithStatus('stale:1', async () => 'new', { graceSeconds: 30 }),
    ).toMatchObject({ status: 'STALE' });
    expect(
      readSpans('stale:1')
        .at(-1)!
        .events.map((event) => event.name),
    ).toEqual(expect.arrayContaining(['cache.refreshes']));

    const down = await startCacheApp(
      { redis: `redis://127.0.0.1:${await freePort()}`, keyPrefix: prefix, startupWaitMs: 0 },
      { waitForRedis: false },
    );
    try {
      expect(await down.cache.getOrLoadWithStatus('down:1', async () => 'db')).toEqual({
        value: 'db',
        status: 'BYPASS',
      });
      const read = readSpans('down:1').at(-1)!;
      expect(read.attributes['cache.status']).toBe('BYPASS');
      expect(read.events.map((event) => event.name)).toContain('cache.redisErrors');
    } finally {
      await down.close();
    }
  });

  it('a loader error: the load span and the read span record it', async () => {
    await expect(
      node.cache.getOrLoad('broken:1', async () => {
        throw new Error('database down');
      }),
    ).rejects.toThrow('database down');
    const read = readSpans('broken:1').at(-1)!;
    expect(read.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(read.attributes['cache.status']).toBe('ERROR');
    const load = spans
      .getFinishedSpans()
      .find((s) => s.name === 'cache.load default' && s.attributes['cache.key'] === 'broken:1')!;
    expect(load.events.map((event) => event.name)).toContain('exception');
  });

  it('metrics: reads by status, events, load durations', async () => {
    for (let i = 0; i < 3; i++) await node.cache.getOrLoad('metric:1', async () => 'x');
    await metricReader.forceFlush();
    const exported = metricExporter
      .getMetrics()
      .at(-1)!
      .scopeMetrics.flatMap((s) => s.metrics);
    const points = (name: string) =>
      exported.find((metric) => metric.descriptor.name === name)?.dataPoints as
        DataPoint<unknown>[] | undefined;
    const reads = points('cache.reads')!;
    const byStatus = (status: string) =>
      reads.find((p) => p.attributes['cache.status'] === status)?.value as number;
    expect(byStatus('HIT')).toBeGreaterThanOrEqual(2);
    expect(byStatus('MISS')).toBeGreaterThanOrEqual(1);
    const loads = points('cache.events')!.find((p) => p.attributes['cache.event'] === 'loads');
    expect(loads?.value).toBeGreaterThanOrEqual(1);
    const durations = points('cache.load.duration')![0].value as { count: number };
    expect(durations.count).toBeGreaterThanOrEqual(1);
  });

  it('diagnostics_channel: read, load and event messages for subscribers', async () => {
    const messages: Array<[string, unknown]> = [];
    const listeners = ['read', 'load', 'event'].map((name) => {
      const listener = (message: unknown) => messages.push([name, message]);
      subscribe(`nest-cache-aside:${name}`, listener);
      return [`nest-cache-aside:${name}`, listener] as const;
    });
    try {
      await node.cache.getOrLoad('channel:1', async () => 'x');
      await node.cache.getOrLoad('channel:1', async () => 'x');
    } finally {
      for (const [name, listener] of listeners) unsubscribe(name, listener);
    }
    expect(messages).toEqual(
      expect.arrayContaining([
        ['load', expect.objectContaining({ cache: 'default', key: 'channel:1' })],
        ['read', expect.objectContaining({ key: 'channel:1', status: 'MISS' })],
        ['read', expect.objectContaining({ key: 'channel:1', status: 'HIT' })],
        ['event', { cache: 'default', event: 'loads', key: 'channel:1' }],
      ]),
    );
  });
});
