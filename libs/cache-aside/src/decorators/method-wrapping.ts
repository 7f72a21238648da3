import { Logger } from '@nestjs/common';
import { isObservable, Observable } from 'rxjs';
import { DEFAULT_CACHE_NAME } from '../cache-aside.constants';
import type { CacheAsideService } from '../cache-aside.service';
import { boundCache } from '../cache-binding';
import { CacheDecoratorError } from '../errors/cache-decorator.error';

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

const warnedSynchronous = new Set<string>();

/**
 * The run-time half of the return-type check, for methods whose declared type said
 * nothing (`any`, no annotation, plain JavaScript): a plain value where a Promise or
 * an Observable was expected is said once per method, not silently wrapped.
 */
export function warnIfSynchronous(result: unknown, site: MethodSite, decorator: string): void {
  if (isObservable(result) || typeof (result as PromiseLike<unknown>)?.then === 'function') {
    return;
  }
  const id = `${site.className}.${site.methodName}`;
  if (warnedSynchronous.has(id)) return;
  warnedSynchronous.add(id);
  logger.warn(
    `${id} returned a plain value, but @${decorator} makes its callers get a Promise: ` +
      `make it async (return Promise<...>) or return an Observable`,
  );
}

export function methodSite(target: object, propertyKey: string | symbol): MethodSite {
  return { className: target.constructor.name, methodName: String(propertyKey) };
}

/**
 * What a caching decorator can be applied to: a method returning a Promise or an
 * Observable, which is what its callers get back (a cache read is asynchronous). A
 * method declared to return a plain value is a type error at the decorator.
 */
export type AsyncMethodDecorator = <
  M extends (...args: any[]) => Promise<unknown> | Observable<unknown>,
>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void;

export type ReturnKind = 'promise' | 'observable';

/**
 * Whether the wrapper returns a Promise or an Observable (HttpService calls stay
 * Observable-returning), from the declared return type (`design:returntype`), else from
 * the `returns` option. The metadata names a constructor only for a return type that
 * is a class: `Promise` (also for every `async` method), `Observable` or a subclass, or
 * a plain one (`Number`, `Array`, a DTO class...), which is refused here because callers
 * would get a Promise where the signature promises a value. `Object` (any, unknown,
 * unions, interfaces) and no metadata at all (no annotation, `void`, no
 * emitDecoratorMetadata) can't tell: those are left to the type check and `returns`.
 *
 * @throws CacheDecoratorError for a plain declared return type, or one contradicting `returns`
 */
export function methodReturnKind(
  target: object,
  propertyKey: string | symbol,
  declared: ReturnKind | undefined,
  decorator: string,
): ReturnKind {
  const where = `${target.constructor.name}.${String(propertyKey)}`;
  if (declared !== undefined && declared !== 'promise' && declared !== 'observable') {
    throw new CacheDecoratorError(
      `${where}: @${decorator}'s returns must be 'promise' or 'observable', not ${JSON.stringify(declared)}`,
    );
  }
  const type: unknown = Reflect.getMetadata('design:returntype', target, propertyKey);
  const fromType = declaredKind(type);
  if (fromType === 'unknown') return declared ?? 'promise';
  if (fromType === 'plain') {
    throw new CacheDecoratorError(
      `${where} is declared to return ${(type as { name: string }).name}, but @${decorator} makes a ` +
        `method return a Promise (or an Observable): make it async (return Promise<...>) or ` +
        `return an Observable`,
    );
  }
  if (declared !== undefined && declared !== fromType) {
    throw new CacheDecoratorError(
      `${where} is declared to return ${(type as { name: string }).name}, but @${decorator} is told ` +
        `returns: '${declared}'; drop the option, the declared type says it`,
    );
  }
  return fromType;
}

function declaredKind(type: unknown): ReturnKind | 'plain' | 'unknown' {
  if (typeof type !== 'function' || type === Object) return 'unknown';
  if (type === Promise || type.prototype instanceof Promise) return 'promise';
  if (type === Observable || type.prototype instanceof Observable) return 'observable';
  return 'plain';
}

export function declaredParameterCount(target: object, propertyKey: string | symbol) {
  const types = Reflect.getMetadata('design:paramtypes', target, propertyKey) as
    unknown[] | undefined;
  return types?.length;
}
