import { createKeyv } from '@keyv/redis';
import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import { Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Cache } from 'cache-manager';
import {
  CacheAsideModule,
  CacheAsideService,
  type CacheAsideModuleOptions,
} from 'nest-cache-aside';
import { ProductCatalog } from './product-catalog.service';
import { REDIS_URL } from './redis-admin';

@Module({})
class BenchAppModule {}

/**
 * One Nest application context holding both Nest integrations under test:
 * our CacheAsideModule and @nestjs/cache-manager (cache-manager 7 + Keyv + @keyv/redis,
 * as in Nest's caching docs, with the Redis store alone so every read goes to Redis).
 */
function benchModule(prefix: string, options: BenchAppOptions): DynamicModule {
  return {
    module: BenchAppModule,
    imports: [
      CacheAsideModule.forRoot({
        redis: REDIS_URL,
        keyPrefix: `${prefix}:ca`,
        ...(options.nearCache === undefined ? {} : { nearCache: options.nearCache }),
      }),
      CacheModule.register({ stores: [createKeyv(REDIS_URL, { namespace: `${prefix}:cm` })] }),
    ],
    providers: [ProductCatalog],
  };
}

export interface BenchApp {
  app: INestApplicationContext;
  cacheAside: CacheAsideService;
  catalog: ProductCatalog;
  cacheManager: Cache;
}

/** What a bench app may set beyond the defaults. */
export interface BenchAppOptions {
  /** The module's near cache (off unless given). */
  nearCache?: CacheAsideModuleOptions['nearCache'];
}

export async function createBenchApp(
  prefix: string,
  options: BenchAppOptions = {},
): Promise<BenchApp> {
  const app = await NestFactory.createApplicationContext(benchModule(prefix, options), {
    logger: false,
  });
  const cacheAside = app.get(CacheAsideService);
  // The module connects without waiting (an app must boot while Redis is down).
  for (let i = 0; !(await cacheAside.set('ready', 1, 1)); i++) {
    if (i > 250) throw new Error('CacheAsideModule did not connect to Redis');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await cacheAside.del('ready');
  return {
    app,
    cacheAside,
    catalog: app.get(ProductCatalog),
    cacheManager: app.get<Cache>(CACHE_MANAGER),
  };
}
