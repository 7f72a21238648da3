import { createCatalogApp } from '../apps/catalog/src/catalog-app.factory';
import { loadCatalogConfig } from '../apps/catalog/src/config/catalog-config.loader';

/*
 * One catalog instance for the soak: the app exactly as main.ts builds it (same factory,
 * pipes and shutdown hooks; SIGTERM closes it and exits 0), configured from the
 * environment, but listening on loopback only. Prints {"type":"ready","port":N}.
 */
async function main() {
  const config = loadCatalogConfig();
  const app = await createCatalogApp({ config, logger: ['error', 'warn'] });
  await app.listen(config.port, '127.0.0.1');
  process.stdout.write(
    `${JSON.stringify({ type: 'ready', port: config.port, pid: process.pid })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
