import { Logger } from '@nestjs/common';
import { createCatalogApp } from './catalog-app.factory';
import { CATALOG_CONFIG, type CatalogConfig } from './config/catalog-config';
import { startOpenTelemetry } from './telemetry/open-telemetry';

async function bootstrap(): Promise<void> {
  // before the app: the library's telemetry binds to the providers registered by then
  const stopOpenTelemetry = startOpenTelemetry();
  const app = await createCatalogApp();
  if (stopOpenTelemetry) {
    Logger.log('OpenTelemetry export on (OTEL_* environment variables)', 'Bootstrap');
    process.once('beforeExit', () => void stopOpenTelemetry());
  }
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
