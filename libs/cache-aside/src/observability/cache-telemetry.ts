import type { Counter, Histogram, Span, Tracer } from '@opentelemetry/api';
import type { CacheEventName, CacheHitSource, CacheStatus } from '../interfaces';
import { cacheChannels } from './cache-channels';
import { openTelemetry, type OpenTelemetry } from './open-telemetry';

const INSTRUMENTATION = 'nest-cache-aside';
/** Counters that also become events on the read's span (the others only count). */
const SPAN_EVENTS: ReadonlySet<CacheEventName> = new Set<CacheEventName>([
  'leaseWaits',
  'leaseTakeovers',
  'leaseWaitTimeouts',
  'staleServed',
  'refreshes',
  'rejectedFills',
  'joinRetries',
  'redisErrors',
  'loadErrors',
  'softTimeouts',
  'hardTimeouts',
]);

/**
 * Traces and metrics through `@opentelemetry/api` (when the app has it) and events on
 * `diagnostics_channel`. A cached read is a span `cache.read <cache>` with the key, how it
 * was served (`cache.status`), and events for lease waits, stale values, Redis errors;
 * a loader run is a child span `cache.load <cache>`, so the database's own spans nest
 * under it. Metrics: `cache.reads` (by status), `cache.events` (by event), and the
 * `cache.load.duration` histogram, in seconds. Without the API, each hook is a check of
 * a field.
 */
export class CacheTelemetry {
  private readonly otel: OpenTelemetry | null;
  private readonly tracer?: Tracer;
  private readonly reads?: Counter;
  private readonly events?: Counter;
  private readonly loadDuration?: Histogram;
  private readonly attributes: { 'cache.name': string };
  private knownDelegate?: object;
  private delegateIsNoop = true;

  constructor(readonly cacheName: string) {
    this.otel = openTelemetry();
    this.attributes = { 'cache.name': cacheName };
    if (!this.otel) return;
    this.tracer = this.otel.trace.getTracer(INSTRUMENTATION);
    // Metrics have no late-binding proxy: instruments from the no-op provider stay no-ops,
    // so without an SDK registered by now there is nothing to count into (set the SDK up
    // before the Nest app, as OpenTelemetry's docs say).
    const meterProvider = this.otel.metrics.getMeterProvider();
    if (meterProvider.constructor?.name === 'NoopMeterProvider') return;
    const meter = meterProvider.getMeter(INSTRUMENTATION);
    this.reads = meter.createCounter('cache.reads', {
      description: 'Cached reads, by how they were served (cache.status)',
    });
    this.events = meter.createCounter('cache.events', {
      description: 'Cache events (cache.event): loads, lease waits, stale values, Redis errors...',
    });
    this.loadDuration = meter.createHistogram('cache.load.duration', {
      description: 'Loader runs: the reads of the source the cache saves',
      unit: 's',
    });
  }

  /** Runs a cached read in its span (active, so the loader's own spans nest under it). */
  read<R extends { status: CacheStatus; source?: CacheHitSource }>(
    key: string,
    run: () => Promise<R>,
  ): Promise<R> {
    const tracer = this.activeTracer();
    if (!tracer && !this.reads && !cacheChannels.read.hasSubscribers) return run();
    const started = performance.now();
    const finish = (status: CacheStatus | 'ERROR', span?: Span, source?: CacheHitSource) => {
      if (span) {
        span.setAttribute('cache.status', status);
        if (source) span.setAttribute('cache.hit_source', source);
        span.end();
      }
      if (status !== 'ERROR') this.reads?.add(1, { ...this.attributes, 'cache.status': status });
      if (cacheChannels.read.hasSubscribers) {
        cacheChannels.read.publish({
          cache: this.cacheName,
          key,
          status,
          source,
          durationMs: performance.now() - started,
        });
      }
    };
    if (!tracer) {
      return run().then(
        (result) => (finish(result.status, undefined, result.source), result),
        (error: unknown) => {
          finish('ERROR');
          throw error;
        },
      );
    }
    return tracer.startActiveSpan(
      `cache.read ${this.cacheName}`,
      { attributes: { ...this.attributes, 'cache.key': key } },
      (span) =>
        run().then(
          (result) => (finish(result.status, span, result.source), result),
          (error: unknown) => {
            this.recordError(span, error);
            finish('ERROR', span);
            throw error;
          },
        ),
    );
  }

  /** Runs a loader in its own child span, timed for the load-duration histogram. */
  load<T>(key: string, run: () => Promise<T>): Promise<T> {
    const tracer = this.activeTracer();
    if (!tracer && !this.loadDuration && !cacheChannels.load.hasSubscribers) return run();
    const started = performance.now();
    const finish = (error?: unknown, span?: Span) => {
      const durationMs = performance.now() - started;
      this.loadDuration?.record(durationMs / 1000, this.attributes);
      if (span) {
        if (error !== undefined) this.recordError(span, error);
        span.end();
      }
      if (cacheChannels.load.hasSubscribers) {
        cacheChannels.load.publish({ cache: this.cacheName, key, durationMs, error });
      }
    };
    const timed = (span?: Span) =>
      run().then(
        (value) => (finish(undefined, span), value),
        (error: unknown) => {
          finish(error, span);
          throw error;
        },
      );
    if (!tracer) return timed();
    return tracer.startActiveSpan(
      `cache.load ${this.cacheName}`,
      { attributes: { ...this.attributes, 'cache.key': key } },
      timed,
    );
  }

  /** A counter of stats() moved: a metric, an event on the active read's span, a channel message. */
  event(event: CacheEventName, key: string): void {
    if (this.otel) {
      this.events?.add(1, { ...this.attributes, 'cache.event': event });
      if (SPAN_EVENTS.has(event)) {
        this.otel.trace.getActiveSpan()?.addEvent(`cache.${event}`, { 'cache.detail': key });
      }
    }
    if (cacheChannels.event.hasSubscribers) {
      cacheChannels.event.publish({ cache: this.cacheName, event, key });
    }
  }

  /**
   * The tracer, once an OpenTelemetry SDK has registered a tracer provider; until then
   * (or without the SDK) no span is started at all, so an app with the API but no SDK
   * pays for none. The provider is looked up per call, since the SDK may start later.
   */
  private activeTracer(): Tracer | undefined {
    if (!this.tracer) return undefined;
    const provider = this.otel!.trace.getTracerProvider() as { getDelegate?: () => object };
    const delegate = provider.getDelegate?.() ?? provider;
    if (delegate !== this.knownDelegate) {
      this.knownDelegate = delegate;
      this.delegateIsNoop = delegate.constructor?.name === 'NoopTracerProvider';
    }
    return this.delegateIsNoop ? undefined : this.tracer;
  }

  private recordError(span: Span, error: unknown): void {
    if (error instanceof Error) span.recordException(error);
    span.setStatus({ code: this.otel!.SpanStatusCode.ERROR, message: String(error) });
  }
}
