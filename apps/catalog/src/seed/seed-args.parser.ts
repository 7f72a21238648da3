import { parseArgs } from 'node:util';
import type { SeedTarget } from './catalog.seeder';

export const DEFAULT_SEED_TARGET: SeedTarget = { products: 100_000, reviews: 1_000_000 };

export const SEED_USAGE = `Usage: npm run seed -- [--products N] [--reviews M]

Fills the database named by DATABASE_URL (PostgreSQL) or DB_PATH (SQLite, default
data/catalog.sqlite) with deterministic demo data. Re-running adds only what is missing.

  --products N   demo products (default ${DEFAULT_SEED_TARGET.products})
  --reviews M    reviews spread evenly over them (default ${DEFAULT_SEED_TARGET.reviews})`;

export type SeedCommand = { help: true } | ({ help: false } & SeedTarget);

export function parseSeedArgs(argv: string[]): SeedCommand {
  const { values } = parseArgs({
    args: argv,
    options: {
      products: { type: 'string' },
      reviews: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return { help: true };
  return {
    help: false,
    products: parseCount('--products', values.products, DEFAULT_SEED_TARGET.products),
    reviews: parseCount('--reviews', values.reviews, DEFAULT_SEED_TARGET.reviews),
  };
}

function parseCount(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  // Accepts 100000, 100_000 and 100k / 1m for convenience on the command line.
  const match = /^(\d[\d_]*)([km]?)$/i.exec(raw.trim());
  if (!match) throw new Error(`${flag} must be a non-negative integer, got "${raw}"`);
  const multiplier = { '': 1, k: 1_000, m: 1_000_000 }[match[2].toLowerCase() as '' | 'k' | 'm'];
  return Number(match[1].replaceAll('_', '')) * multiplier;
}
