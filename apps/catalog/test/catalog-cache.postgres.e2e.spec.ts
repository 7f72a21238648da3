import { describeCatalogCache } from './support/catalog-cache.suite';
import { postgresTestDatabase } from './support/postgres-test-database';

describeCatalogCache(postgresTestDatabase());
