import { describeCatalogApi } from './support/catalog-api.suite';
import { postgresTestDatabase } from './support/postgres-test-database';

describeCatalogApi(postgresTestDatabase());
