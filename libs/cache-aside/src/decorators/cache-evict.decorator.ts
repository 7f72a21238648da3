import { SetMetadata } from '@nestjs/common';
import { defer, from, isObservable, lastValueFrom } from 'rxjs';
import { CACHE_EVICT_METADATA } from '../cache-aside.constants';
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

export interface CacheEvictOptions {
  /** Key template(s) to delete, over the method's arguments, like `@Cacheable`'s. */
  keys?: KeyTemplate | KeyTemplate[];
  /** Tag template(s) whose entries to delete (`'category:{0.category}'`). */
  tags?: KeyTemplate | KeyTemplate[];
  /**
   * More keys, from the method's result (the id of a row it inserted, say): evicted
   * with the others, after the method. Build them with `cacheKey(...)`.
   */
  keysFromResult?: (result: any, ...args: any[]) => string | string[];
  /** More tags to invalidate, from the method's result (a row's category, say). */
  tagsFromResult?: (result: any, ...args: any[]) => string | string[];
  /**
   * Evict before the method runs too, and again once it has finished (whether or not it
   * succeeded): the first eviction keeps readers off the old value while the write runs;
   * the second removes what a load that ran meanwhile may have cached from the old row.
   * @default false: after it completed successfully, and not at all if it throws
   */
  beforeInvocation?: boolean;
  /**
   * The named cache (`CacheAsideModule.forRoot({ name })`) this method uses; a name no
   * module defines fails the application's start-up.
   * @default the default (unnamed) cache
   */
  cache?: string;
  /** Evict only when this returns true for the arguments. @default always */
  condition?: (...args: any[]) => boolean;
  /** What the method returns, when its declared type doesn't say. @default 'promise' */
  returns?: 'promise' | 'observable';
}

/**
 * Deletes the key(s) after the method completed successfully; the caller's promise
 * resolves only once the delete is done (never fire-and-forget). Eviction also
 * cancels in-flight loads of those keys, so none of them can write an older value back.
 */
export function CacheEvict(keys: KeyTemplate | KeyTemplate[]): AsyncMethodDecorator;
export function CacheEvict(options: CacheEvictOptions): AsyncMethodDecorator;
export function CacheEvict(
  keysOrOptions: KeyTemplate | KeyTemplate[] | CacheEvictOptions,
): AsyncMethodDecorator {
  const options: CacheEvictOptions = isOptions(keysOrOptions)
    ? keysOrOptions
    : { keys: keysOrOptions };
  return (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor) => {
    const site = methodSite(target, propertyKey);
    const paramCount = declaredParameterCount(target, propertyKey);
    const compileAll = (templates: KeyTemplate | KeyTemplate[] | undefined) =>
      (templates === undefined ? [] : Array.isArray(templates) ? templates : [templates]).map(
        (template) => compileKeyTemplate(template, site, paramCount),
      );
    const keyBuilders = compileAll(options.keys);
    const tagBuilders = compileAll(options.tags);
    const { condition, beforeInvocation, keysFromResult, tagsFromResult } = options;
    const cacheName = cacheNameOf(options.cache, `${site.className}.${site.methodName}`);
    const observable =
      methodReturnKind(target, propertyKey, options.returns, 'CacheEvict') === 'observable';

    wrapMethod(
      descriptor,
      (original: AnyMethod) =>
        function cacheEvict(this: unknown, ...args: unknown[]) {
          const service = boundService(this, site, cacheName);
          if (!service?.enabled || (condition && !condition(...args))) {
            return original.apply(this, args);
          }
          const keys = keyBuilders.map((keyOf) => keyOf(args));
          const tags = tagBuilders.map((tagOf) => tagOf(args));
          const evict = async () => {
            await Promise.all([service.del(...keys), service.invalidateTags(...tags)]);
          };
          if (beforeInvocation) {
            const run = async () => {
              await evict();
              let succeeded = false;
              let value: unknown;
              try {
                const result = original.apply(this, args);
                warnIfSynchronous(result, site, 'CacheEvict');
                value = await unwrap(result);
                succeeded = true;
                return value;
              } finally {
                // the result's keys and tags too, once there is a result
                if (succeeded && keysFromResult)
                  keys.push(...[keysFromResult(value, ...args)].flat());
                if (succeeded && tagsFromResult)
                  tags.push(...[tagsFromResult(value, ...args)].flat());
                await evict();
              }
            };
            return observable ? defer(() => from(run())) : run();
          }
          const result = original.apply(this, args);
          warnIfSynchronous(result, site, 'CacheEvict');
          const evictAfter = async () => {
            const value = await unwrap(result);
            if (keysFromResult) keys.push(...[keysFromResult(value, ...args)].flat());
            if (tagsFromResult) tags.push(...[tagsFromResult(value, ...args)].flat());
            await evict();
            return value;
          };
          return observable || isObservable(result)
            ? defer(() => from(evictAfter()))
            : evictAfter();
        },
    );
    SetMetadata(CACHE_EVICT_METADATA, options)(target, propertyKey, descriptor);
  };
}

function unwrap(result: unknown): unknown {
  return isObservable(result) ? lastValueFrom(result) : result;
}

function isOptions(
  value: KeyTemplate | KeyTemplate[] | CacheEvictOptions,
): value is CacheEvictOptions {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    ('keys' in value || 'tags' in value || 'keysFromResult' in value || 'tagsFromResult' in value)
  );
}
