import { Logger } from '@nestjs/common';
import { createCatalogApp } from './catalog-app.factory';
import { CATALOG_CONFIG, type CatalogConfig } from './config/catalog-config';

async function bootstrap(): Promise<void> {
  const app = await createCatalogApp();
  const config = app.get<CatalogConfig>(CATALOG_CONFIG);
  await app.listen(config.port);
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  Logger.log(`Catalog API on ${url} (docs: ${url}/docs, metrics: ${url}/metrics)`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  Logger.error(error instanceof Error ? (error.stack ?? error.message) : error, 'Bootstrap');
  process.exit(1);
});
