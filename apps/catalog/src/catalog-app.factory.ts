import { type LoggerService, type LogLevel, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { CatalogModule } from './catalog.module';
import type { CatalogConfig } from './config/catalog-config';
import { loadCatalogConfig } from './config/catalog-config.loader';
import { setupSwagger } from './swagger.setup';

export interface CreateCatalogAppOptions {
  /** Defaults to the environment (see loadCatalogConfig). */
  config?: CatalogConfig;
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Builds the fully configured catalog app without listening, shared by main.ts and the e2e
 * tests so both exercise the same pipes, docs and shutdown behaviour.
 */
export async function createCatalogApp(
  options: CreateCatalogAppOptions = {},
): Promise<NestExpressApplication> {
  const config = options.config ?? loadCatalogConfig();
  const app = await NestFactory.create<NestExpressApplication>(CatalogModule.forRoot(config), {
    logger: options.logger,
  });
  // Names the framework to every client, for nobody's benefit.
  app.disable('x-powered-by');
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  // process.exit(0) after closing, instead of Nest's default re-raise of the signal, so
  // SIGTERM ends with a clean exit status that process managers don't report as a crash.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  // Swagger UI belongs to the demo surface: it lets anyone call every route from a browser.
  if (config.demoEnabled) setupSwagger(app);
  return app;
}
