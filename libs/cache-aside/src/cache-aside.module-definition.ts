import { ConfigurableModuleBuilder, type DynamicModule, type Provider } from '@nestjs/common';
import { CACHE_ASIDE_NAME, CACHE_ASIDE_SERVICE, DEFAULT_CACHE_NAME } from './cache-aside.constants';
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
 * A module provides its name (its explorer binds only the methods naming it), and
 * provides and exports its service under its name's token only (the class itself for
 * the default cache), so two caches never compete for one token.
 */
function withCacheName(definition: DynamicModule, extras: CacheAsideModuleExtras): DynamicModule {
  const name = cacheNameOf(extras.name, 'CacheAsideModule.forRoot({ name })');
  const token = getCacheAsideToken(name);
  const providers: Provider[] = [
    { provide: CACHE_ASIDE_NAME, useValue: name },
    { provide: token, useExisting: CACHE_ASIDE_SERVICE },
  ];
  return {
    ...definition,
    global: extras.isGlobal,
    providers: [...(definition.providers ?? []), ...providers],
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
