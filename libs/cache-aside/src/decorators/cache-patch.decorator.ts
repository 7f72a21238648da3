import { SetMetadata } from '@nestjs/common';
import { defer, from, isObservable, lastValueFrom } from 'rxjs';
import { CACHE_PATCH_METADATA } from '../cache-aside.constants';
import { CacheKeyTemplateError } from '../errors/cache-key-template.error';
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

export interface CachePatchOptions<R = any> {
  /** The cached entity's key, a template over the method's arguments. */
  key: KeyTemplate;
  /**
   * The fields to set: property names taken from the method's result, or a function
   * of the result and the arguments returning `{ field: value }` (`undefined` removes);
   * for `storage: 'json'` entries a field may be a dotted path (`'price.amount'`).
   */
  fields: (keyof R & string)[] | ((result: R, ...args: any[]) => Record<string, unknown>);
  /**
   * A property of the result holding the entity's version (a number every write of it
   * increases, such as a TypeORM `@VersionColumn`): the patch then applies only over an
   * older cached version, so concurrent writers can't leave the older one cached. It is
   * set along with `fields`. @default none (patches apply in arrival order)
   */
  version?: keyof R & string;
  /**
   * The named cache (`CacheAsideModule.forRoot({ name })`) this method uses; a name no
   * module defines fails the application's start-up.
   * @default the default (unnamed) cache
   */
  cache?: string;
  /** What the method returns, when its declared type doesn't say. @default 'promise' */
  returns?: 'promise' | 'observable';
}

/**
 * After the method completed successfully, sets the named fields of the cached hash
 * entry (`@Cacheable({ storage: 'hash' })`), or the paths of a JSON entry (`storage:
 * 'json'`), in place instead of evicting it: TTL kept,
 * nothing created if the entry isn't cached, in-flight loads of the key cancelled.
 * The caller's promise resolves once Redis has applied it.
 */
export function CachePatch<R = any>(options: CachePatchOptions<R>): AsyncMethodDecorator {
  return (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor) => {
    const site = methodSite(target, propertyKey);
    const keyOf = compileKeyTemplate(
      options.key,
      site,
      declaredParameterCount(target, propertyKey),
    );
    const observable =
      methodReturnKind(target, propertyKey, options.returns, 'CachePatch') === 'observable';
    const { fields } = options;
    if (Array.isArray(fields) && fields.length === 0) {
      throw new CacheKeyTemplateError(
        `${site.className}.${site.methodName}: @CachePatch needs at least one field`,
      );
    }
    const { version } = options;
    const cacheName = cacheNameOf(options.cache, `${site.className}.${site.methodName}`);
    const changesOf = (result: R, args: unknown[]): Record<string, unknown> => {
      const changes = Array.isArray(fields)
        ? Object.fromEntries(
            fields.map((name) => [name, (result as Record<string, unknown>)[name]]),
          )
        : fields(result, ...args);
      return version === undefined
        ? changes
        : { ...changes, [version]: (result as Record<string, unknown>)[version] };
    };

    wrapMethod(
      descriptor,
      (original: AnyMethod) =>
        function cachePatch(this: unknown, ...args: unknown[]) {
          const service = boundService(this, site, cacheName);
          if (!service?.enabled) return original.apply(this, args);
          const key = keyOf(args);
          const result = original.apply(this, args);
          warnIfSynchronous(result, site, 'CachePatch');
          const patchAfter = async () => {
            const value = (await (isObservable(result) ? lastValueFrom(result) : result)) as R;
            await service.patch(key, changesOf(value, args), { version });
            return value;
          };
          return observable || isObservable(result)
            ? defer(() => from(patchAfter()))
            : patchAfter();
        },
    );
    SetMetadata(CACHE_PATCH_METADATA, options)(target, propertyKey, descriptor);
  };
}
