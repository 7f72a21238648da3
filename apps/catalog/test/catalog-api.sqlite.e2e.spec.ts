import { describeCatalogApi } from './support/catalog-api.suite';
import { sqliteTestDatabase } from './support/sqlite-test-database';

describeCatalogApi(sqliteTestDatabase());
