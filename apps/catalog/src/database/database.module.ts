import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CATALOG_CONFIG, type CatalogConfig } from '../config/catalog-config';
import { CountingQueryLogger } from './counting-query.logger';
import { buildDataSourceOptions } from './data-source-options.factory';
import { QueryCounter } from './query-counter';
import { QueryCounterModule } from './query-counter.module';

@Module({
  imports: [
    QueryCounterModule,
    TypeOrmModule.forRootAsync({
      imports: [QueryCounterModule],
      inject: [CATALOG_CONFIG, QueryCounter],
      useFactory: (config: CatalogConfig, counter: QueryCounter) => ({
        ...buildDataSourceOptions(config.database, new CountingQueryLogger(counter)),
        // Nest's default retries for ~30 s; an unreachable database should fail start-up quickly.
        retryAttempts: 2,
        retryDelay: 1_000,
      }),
    }),
  ],
  exports: [QueryCounterModule],
})
export class DatabaseModule {}
