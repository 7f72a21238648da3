import { Logger } from '@nestjs/common';
import { Observable } from 'rxjs';
import { DEFAULT_CACHE_NAME } from '../cache-aside.constants';
import type { CacheAsideService } from '../cache-aside.service';
import { boundCache } from '../cache-binding';

export type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

export interface MethodSite {
  className: string;
  methodName: string;
}

/**
 * Replaces a method by a wrapper at class definition time, so every path to it
 * (routes, `this.method()`, other providers) goes through the cache. Metadata other
 * decorators put on the original function (routes, guards, ...) is copied over.
 */
export function wrapMethod(
  descriptor: PropertyDescriptor,
  makeWrapper: (original: AnyMethod) => AnyMethod,
): AnyMethod {
  const original = descriptor.value as AnyMethod;
  const wrapper = makeWrapper(original);
  for (const metadataKey of Reflect.getMetadataKeys(original)) {
    Reflect.defineMetadata(metadataKey, Reflect.getMetadata(metadataKey, original), wrapper);
  }
  Object.defineProperty(wrapper, 'name', { value: original.name });
  descriptor.value = wrapper;
  return wrapper;
}

const warned = new Set<string>();
const logger = new Logger('CacheAside');

/**
 * The service a decorated method runs through: set on the class (and instance) by
 * the explorer of the module that defines the method's cache, at start-up. Without
 * one, the method runs uncached and we say so once, rather than silently.
 */
export function boundService(
  self: unknown,
  site: MethodSite,
  cacheName: string = DEFAULT_CACHE_NAME,
): CacheAsideService | undefined {
  const service = boundCache(self, cacheName);
  if (!service) {
    const id = `${site.className}.${site.methodName}`;
    if (!warned.has(id)) {
      warned.add(id);
      const module =
        cacheName === DEFAULT_CACHE_NAME
          ? 'no CacheAsideModule'
          : `no CacheAsideModule named '${cacheName}'`;
      logger.warn(
        `${id} is decorated for caching but ${module} has bound it (module not imported or already ` +
          `closed, called before the application initialized, or called without its instance): running it uncached`,
      );
    }
  }
  return service;
}

export function methodSite(target: object, propertyKey: string | symbol): MethodSite {
  return { className: target.constructor.name, methodName: String(propertyKey) };
}

/** Observable-returning methods (like HttpService calls) stay Observable-returning. */
export function returnsObservable(
  target: object,
  propertyKey: string | symbol,
  declared: 'promise' | 'observable' | undefined,
): boolean {
  if (declared) return declared === 'observable';
  return Reflect.getMetadata('design:returntype', target, propertyKey) === Observable;
}

export function declaredParameterCount(target: object, propertyKey: string | symbol) {
  const types = Reflect.getMetadata('design:paramtypes', target, propertyKey) as
    unknown[] | undefined;
  return types?.length;
}
