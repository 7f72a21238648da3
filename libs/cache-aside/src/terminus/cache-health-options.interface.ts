export interface CacheHealthCheckOptions {
  /**
   * How the indicator reports a cache that can't serve reads now (Redis unreachable,
   * or evictions from an outage not yet applied). `'degraded'`: the check stays
   * HTTP 200 with status `degraded`, since every read still gets its value from the
   * loader; failing readiness would take every instance out of rotation at once for
   * an outage that costs only latency. `'down'`: the check fails (HTTP 503), for apps
   * whose database can't take the load without the cache.
   * @default 'degraded'
   */
  whenUnavailable?: 'degraded' | 'down';
  /** The named cache to check (`forRoot({ name })`). @default the unnamed (default) cache */
  cache?: string;
}
