import { type DynamicModule, Module } from '@nestjs/common';
import type { CatalogConfig } from './config/catalog-config';
import { CatalogConfigModule } from './config/catalog-config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProductsModule } from './products/products.module';
import { DemoSeedModule } from './seed/demo-seed.module';

// Built from a config object rather than reading the environment itself, so tests start
// the real module graph on a database of their own.
@Module({})
export class CatalogModule {
  static forRoot(config: CatalogConfig): DynamicModule {
    return {
      module: CatalogModule,
      imports: [
        CatalogConfigModule.forRoot(config),
        DatabaseModule,
        DemoSeedModule,
        ProductsModule,
        HealthModule,
        MetricsModule,
      ],
    };
  }
}
