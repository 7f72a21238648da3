import { DynamicModule, Global, Module } from '@nestjs/common';
import { CATALOG_CONFIG, type CatalogConfig } from './catalog-config';

// Global so feature modules (and the cache layer) inject the same object
// the app was built with, which is what lets tests start the app on their own database.
@Global()
@Module({})
export class CatalogConfigModule {
  static forRoot(config: CatalogConfig): DynamicModule {
    return {
      module: CatalogConfigModule,
      providers: [{ provide: CATALOG_CONFIG, useValue: config }],
      exports: [CATALOG_CONFIG],
    };
  }
}
