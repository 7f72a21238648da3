import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions, Logger } from 'typeorm';
import type { DatabaseConfig } from '../config/catalog-config';
import { Product } from '../products/product.entity';
import { Review } from '../products/review.entity';
import { CreateCatalogSchema1764140000000 } from './migrations/1764140000000-create-catalog-schema.migration';
import { AddProductVersion1764150000000 } from './migrations/1764150000000-add-product-version.migration';

export const CATALOG_ENTITIES = [Product, Review];
// Listed as classes rather than a glob so the same list works from ts sources, Jest and dist.
export const CATALOG_MIGRATIONS = [
  CreateCatalogSchema1764140000000,
  AddProductVersion1764150000000,
];

/** Shared by the Nest app and the standalone seed script so both see the same schema. */
export function buildDataSourceOptions(
  database: DatabaseConfig,
  logger?: Logger,
): DataSourceOptions {
  const common = {
    entities: CATALOG_ENTITIES,
    migrations: CATALOG_MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    logger,
    maxQueryExecutionTime: 1_000,
  } as const;

  if (database.type === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url: database.url,
      applicationName: 'catalog',
      // Setting search_path on every pooled connection keeps hand-written SQL unqualified
      // while TypeORM discovers the schema through current_schema().
      extra: database.schema ? { options: `-c search_path=${database.schema}` } : undefined,
    };
  }

  // better-sqlite3 creates the file but not its directory.
  mkdirSync(dirname(database.path), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: database.path,
    // WAL lets the seed script write while a running app keeps reading.
    enableWAL: true,
  };
}
