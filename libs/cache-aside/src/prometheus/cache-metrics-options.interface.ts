import type { Registry } from 'prom-client';

export interface CacheMetricsOptions {
  /**
   * The registry the metrics join (one per app lets several apps share a process, as
   * tests do). @default prom-client's global `register`
   */
  registry?: Registry;
  /**
   * Put in front of every metric name: `<prefix>reads_total`. Give each cache its own
   * when several register in one registry. Letters, digits, `_` and `:`, not starting
   * with a digit. @default 'cache_aside_'
   */
  prefix?: string;
}
