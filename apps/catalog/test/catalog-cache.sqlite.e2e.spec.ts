import { describeCatalogCache } from './support/catalog-cache.suite';
import { sqliteTestDatabase } from './support/sqlite-test-database';

describeCatalogCache(sqliteTestDatabase());
