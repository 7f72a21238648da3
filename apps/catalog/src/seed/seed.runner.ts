import { Presets, SingleBar } from 'cli-progress';
import { DataSource } from 'typeorm';
import { loadCatalogConfig } from '../config/catalog-config.loader';
import { CountingQueryLogger } from '../database/counting-query.logger';
import { buildDataSourceOptions } from '../database/data-source-options.factory';
import { CatalogSeeder, type SeedResult } from './catalog.seeder';
import { parseSeedArgs, SEED_USAGE } from './seed-args.parser';

export interface SeedRunOptions {
  env?: NodeJS.ProcessEnv;
  /** Draw a progress bar; off in tests and when stderr is not a terminal. */
  progress?: boolean;
  print?: (line: string) => void;
}

/**
 * The seed command without process concerns, so tests can run it in-process. Uses a bare
 * DataSource rather than the Nest app: no HTTP server, and it works while the app is down.
 */
export async function runSeed(
  argv: string[],
  options: SeedRunOptions = {},
): Promise<SeedResult | null> {
  const print = options.print ?? ((line: string) => console.log(line));
  const command = parseSeedArgs(argv);
  if (command.help) {
    print(SEED_USAGE);
    return null;
  }
  const config = loadCatalogConfig(options.env ?? process.env);
  const where =
    config.database.type === 'sqlite' ? config.database.path : 'PostgreSQL (DATABASE_URL)';
  print(`Seeding ${command.products} products and ${command.reviews} reviews into ${where}`);

  const dataSource = new DataSource(
    buildDataSourceOptions(config.database, new CountingQueryLogger()),
  );
  await dataSource.initialize();
  const bar = options.progress
    ? new SingleBar(
        { format: 'seed [{bar}] {percentage}% | {value}/{total} rows | {duration}s', fps: 5 },
        Presets.shades_classic,
      )
    : undefined;
  try {
    bar?.start(command.products + command.reviews, 0);
    const result = await new CatalogSeeder(dataSource).seed(command, ({ done }) =>
      bar?.update(done),
    );
    bar?.stop();
    print(
      `Inserted ${result.productsInserted} products and ${result.reviewsInserted} reviews ` +
        `in ${(result.elapsedMs / 1000).toFixed(1)} s`,
    );
    return result;
  } finally {
    bar?.stop();
    await dataSource.destroy();
  }
}
