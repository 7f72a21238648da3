import { SetMetadata } from '@nestjs/common';
import { defer, from, isObservable, lastValueFrom } from 'rxjs';
import { CACHEABLE_METADATA } from '../cache-aside.constants';
import type { CacheLoadOptions } from '../interfaces';
import { cacheNameOf } from '../cache-name';
import { compileKeyTemplate, type KeyTemplate } from '../keys';
import {
  boundService,
  declaredParameterCount,
  methodSite,
  methodReturnKind,
  wrapMethod,
  type AnyMethod,
  type AsyncMethodDecorator,
  warnIfSynchronous,
} from './method-wrapping';

export interface CacheableOptions<T = any> extends Omit<CacheLoadOptions<T>, 'tags'> {
  /**
   * The key: a template over the arguments (`'product:{0}'`, `'user:{0.id}:orders'`)
   * or a function of them. Argument values are encoded, so user input can't reach
   * another key. Stored as `<prefix>:{<key>}`.
   */
  key: KeyTemplate;
  /**
   * Tags the entry belongs to, as templates over the arguments (`'category:{0.category}'`);
   * `@CacheEvict({ tags })` or `invalidateTags` invalidate every entry of a tag.
   * Tags from the result: `tagsFromResult`.
   * @default none
   */
  tags?: KeyTemplate[];
  /**
   * The named cache (`CacheAsideModule.forRoot({ name })`) this method uses; a name no
   * module defines fails the application's start-up.
   * @default the default (unnamed) cache
   */
  cache?: string;
  /** Cache only when this returns true for the arguments. @default always */
  condition?: (...args: any[]) => boolean;
  /** Don't cache a result for which this returns true. @default never */
  unless?: (result: T, ...args: any[]) => boolean;
  /**
   * What the method returns, when its declared type doesn't say (`any`, a union, no
   * `emitDecoratorMetadata`); a value contradicting a declared `Promise`/`Observable`
   * is an error.
   * @default 'promise'
   */
  returns?: 'promise' | 'observable';
}

/**
 * Caches the method's result in Redis under `key` for `ttlSeconds` (seconds, as
 * Redis EX). Applies to methods returning a Promise or an Observable (callers keep
 * getting what the signature says); on a method declared to return a plain value it
 * is a type error, and a CacheDecoratorError when the class is defined.
 */
export function Cacheable(key: KeyTemplate, ttlSeconds?: number): AsyncMethodDecorator;
export function Cacheable(options: CacheableOptions): AsyncMethodDecorator;
export function Cacheable(
  keyOrOptions: KeyTemplate | CacheableOptions,
  ttlSeconds?: number,
): AsyncMethodDecorator {
  const options: CacheableOptions = isOptions(keyOrOptions)
    ? keyOrOptions
    : { key: keyOrOptions, ttlSeconds };
  return (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor) => {
    const site = methodSite(target, propertyKey);
    const paramCount = declaredParameterCount(target, propertyKey);
    const keyOf = compileKeyTemplate(options.key, site, paramCount);
    const observable =
      methodReturnKind(target, propertyKey, options.returns, 'Cacheable') === 'observable';
    const { condition, unless } = options;
    const tagBuilders = (options.tags ?? []).map((tag) =>
      compileKeyTemplate(tag, site, paramCount),
    );
    const cacheName = cacheNameOf(options.cache, `${site.className}.${site.methodName}`);
    const loadOptions: CacheLoadOptions = { ...options, tags: undefined };

    wrapMethod(
      descriptor,
      (original: AnyMethod) =>
        function cacheable(this: unknown, ...args: unknown[]) {
          const service = boundService(this, site, cacheName);
          if (!service?.enabled || (condition && !condition(...args))) {
            return original.apply(this, args);
          }
          const key = keyOf(args);
          let callOptions = loadOptions;
          if (unless) {
            callOptions = { ...callOptions, shouldCache: (result) => !unless(result, ...args) };
          }
          if (tagBuilders.length > 0) {
            callOptions = { ...callOptions, tags: tagBuilders.map((tagOf) => tagOf(args)) };
          }
          const load = () => {
            const result = original.apply(this, args);
            warnIfSynchronous(result, site, 'Cacheable');
            return isObservable(result) ? lastValueFrom(result) : result;
          };
          const read = () => service.getOrLoad(key, load, callOptions);
          return observable ? defer(() => from(read())) : read();
        },
    );
    SetMetadata(CACHEABLE_METADATA, options)(target, propertyKey, descriptor);
  };
}

function isOptions(value: KeyTemplate | CacheableOptions): value is CacheableOptions {
  return typeof value === 'object' && value !== null && 'key' in value;
}
