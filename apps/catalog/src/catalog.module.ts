import {
  type DynamicModule,
  type MiddlewareConsumer,
  Module,
  type NestModule,
} from '@nestjs/common';
import { CacheAsideModule, CacheStatusMiddleware } from 'nest-cache-aside';
import { buildCacheAsideOptions } from './cache/cache-aside-options.factory';
import { BodyDepthMiddleware } from './common/body-depth.middleware';
import { CATALOG_CONFIG, type CatalogConfig } from './config/catalog-config';
import { CatalogConfigModule } from './config/catalog-config.module';
import { DatabaseModule } from './database/database.module';
import { DemoModule } from './demo/demo.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProductsModule } from './products/products.module';
import { DemoSeedModule } from './seed/demo-seed.module';

// Built from a config object rather than reading the environment itself, so tests start
// the real module graph on a database (and a Redis key prefix) of their own.
@Module({})
export class CatalogModule implements NestModule {
  static forRoot(config: CatalogConfig): DynamicModule {
    return {
      module: CatalogModule,
      imports: [
        CatalogConfigModule.forRoot(config),
        // Global: products cache through it, metrics and health read its state.
        CacheAsideModule.forRootAsync({
          isGlobal: true,
          inject: [CATALOG_CONFIG],
          useFactory: (catalog: CatalogConfig) => buildCacheAsideOptions(catalog.cache),
        }),
        DatabaseModule,
        DemoSeedModule,
        ProductsModule,
        HealthModule,
        MetricsModule,
        // Not imported at all when off, so its routes don't exist rather than answer 403.
        ...(config.demoEnabled ? [DemoModule] : []),
      ],
    };
  }

  // A module's middleware runs after Nest's body parsers and before any guard or pipe: the
  // place to refuse a body too deep for the validation pipe to walk.
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(BodyDepthMiddleware).forRoutes('*');
    // X-Cache, Cache-Status and Server-Timing on every response whose handler made a cached
    // read; a middleware rather than the interceptor, which costs a route Nest's interceptor
    // pipeline (bench/interceptor-cost). Registered here so any app built on this module
    // graph says how each cached response was served.
    consumer.apply(CacheStatusMiddleware).forRoutes('*');
  }
}
