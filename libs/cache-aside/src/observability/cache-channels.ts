import { channel } from 'node:diagnostics_channel';

/**
 * The library's events on `node:diagnostics_channel`, for tools that prefer it to
 * OpenTelemetry. A message is built only when the channel has subscribers.
 *
 * - `nest-cache-aside:read`: `{ cache, key, status, durationMs }` after every cached read
 * - `nest-cache-aside:load`: `{ cache, key, durationMs, error? }` after every loader run
 * - `nest-cache-aside:event`: `{ cache, event, key }` for every counter of `stats()`
 *   (`leaseWaits`, `staleServed`, `redisErrors`, `rejectedFills`...)
 */
export const cacheChannels = {
  read: channel('nest-cache-aside:read'),
  load: channel('nest-cache-aside:load'),
  event: channel('nest-cache-aside:event'),
};
