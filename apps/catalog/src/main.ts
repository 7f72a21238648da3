import { Logger } from '@nestjs/common';
import { createCatalogApp } from './catalog-app.factory';
import { CATALOG_CONFIG, type CatalogConfig } from './config/catalog-config';

async function bootstrap(): Promise<void> {
  const app = await createCatalogApp();
  const config = app.get<CatalogConfig>(CATALOG_CONFIG);
  await (config.host === null ? app.listen(config.port) : app.listen(config.port, config.host));
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  const more = config.demoEnabled
    ? `demo page: ${url}/, docs: ${url}/docs, metrics: ${url}/metrics`
    : `metrics: ${url}/metrics; the demo page and /docs are off (DEMO_ENABLED=true turns them on)`;
  Logger.log(`Catalog API on ${url} (${more})`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  Logger.error(error instanceof Error ? (error.stack ?? error.message) : error, 'Bootstrap');
  process.exit(1);
});
