/** The subjects of the interceptor-cost bench (subject.ts builds each). */
export const VARIANTS = [
  'none', // no interceptor
  'noop', // an interceptor that returns next.handle(): Nest's interceptor machinery
  'rx', // the old interceptor's rxjs wrapping (new Observable + tap), no context, no headers
  'rx-headers', // rx, plus the two headers (constant values)
  'als-idle', // no interceptor, AsyncLocalStorage enabled process-wide (its promise hooks)
  'hooks-idle', // no interceptor, empty V8 promise hooks: the floor of any hook-based carrier
  'old', // the baseline's CacheStatusInterceptor
  'old-nonow', // the baseline's, with performance.now() a constant
  'new', // this tree's CacheStatusInterceptor
  'new-nonow', // this tree's, with performance.now() a constant
  'new-als', // the same build as new (the record rides on AsyncLocalStorage on every Node now)
  'new-middleware', // this tree's CacheStatusMiddleware instead of the interceptor
] as const;
export type Variant = (typeof VARIANTS)[number];
