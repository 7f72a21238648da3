import { CACHE_ASIDE_BINDING } from './cache-aside.constants';
import type { CacheAsideService } from './cache-aside.service';

/**
 * The services a class (prototype) or instance caches through, by cache name. Kept
 * in one map per target so a class whose methods use two named caches is bound to
 * both, and each module can take back exactly its own binding at shutdown.
 */
type CacheBindings = ReadonlyMap<string, CacheAsideService>;

function ownBindings(target: object): CacheBindings | undefined {
  const descriptor = Object.getOwnPropertyDescriptor(target, CACHE_ASIDE_BINDING);
  return descriptor?.value instanceof Map ? (descriptor.value as CacheBindings) : undefined;
}

function setBindings(target: object, bindings: CacheBindings): void {
  Object.defineProperty(target, CACHE_ASIDE_BINDING, {
    value: bindings,
    configurable: true,
    writable: true,
    enumerable: false,
  });
}

export function bindCache(target: object, cacheName: string, service: CacheAsideService): void {
  setBindings(target, new Map(ownBindings(target)).set(cacheName, service));
}

/**
 * Takes the binding back, but only if it is still `service`'s: another application
 * (a later test module) may have bound the same class since, and keeps it.
 */
export function unbindCache(target: object, cacheName: string, service: CacheAsideService): void {
  const bindings = ownBindings(target);
  if (bindings?.get(cacheName) !== service) return;
  const rest = new Map(bindings);
  rest.delete(cacheName);
  if (rest.size > 0) setBindings(target, rest);
  else delete (target as Record<symbol, unknown>)[CACHE_ASIDE_BINDING];
}

/** The service `self` (an instance, or its class through the prototype chain) caches through. */
export function boundCache(self: unknown, cacheName: string): CacheAsideService | undefined {
  const bindings = (self as Record<symbol, unknown> | null | undefined)?.[CACHE_ASIDE_BINDING];
  return bindings instanceof Map ? (bindings as CacheBindings).get(cacheName) : undefined;
}
