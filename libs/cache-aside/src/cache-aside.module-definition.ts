import { ConfigurableModuleBuilder, type DynamicModule, type Provider } from '@nestjs/common';
import { CACHE_ASIDE_NAME, DEFAULT_CACHE_NAME } from './cache-aside.constants';
import { CacheAsideService } from './cache-aside.service';
import { cacheNameOf } from './cache-name';
import { getCacheAsideToken } from './cache-aside.tokens';
import type { CacheAsideModuleOptions } from './interfaces';

/** Options of `forRoot`/`forRootAsync` that shape the module itself rather than the cache. */
export interface CacheAsideModuleExtras {
  /**
   * Makes the module's service injectable in every module without importing it.
   * @default false
   */
  isGlobal?: boolean;
  /**
   * The cache's name, for several caches in one app, each with its own options,
   * connection and key prefix: decorators pick it with `{ cache: 'sessions' }`, and
   * `@InjectCacheAside('sessions')` injects its service. Unnamed, it is the default
   * cache: the one of decorators that name none, injectable as `CacheAsideService`.
   * @default 'default'
   */
  name?: string;
}

/**
 * A named module provides its name (its explorer binds only the methods naming it)
 * and exports its service under the name's token only, so two caches never compete
 * for the `CacheAsideService` class token.
 */
function withCacheName(definition: DynamicModule, extras: CacheAsideModuleExtras): DynamicModule {
  const name = cacheNameOf(extras.name, 'CacheAsideModule.forRoot({ name })');
  const token = getCacheAsideToken(name);
  const alias: Provider[] =
    name === DEFAULT_CACHE_NAME ? [] : [{ provide: token, useExisting: CacheAsideService }];
  return {
    ...definition,
    global: extras.isGlobal,
    providers: [
      ...(definition.providers ?? []),
      { provide: CACHE_ASIDE_NAME, useValue: name },
      ...alias,
    ],
    exports: [...(definition.exports ?? []), token],
  };
}

export const {
  ConfigurableModuleClass: ConfigurableCacheAsideModule,
  MODULE_OPTIONS_TOKEN: CACHE_ASIDE_MODULE_OPTIONS,
  OPTIONS_TYPE: CACHE_ASIDE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CACHE_ASIDE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CacheAsideModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<CacheAsideModuleExtras>({ isGlobal: false, name: DEFAULT_CACHE_NAME }, withCacheName)
  .build();
