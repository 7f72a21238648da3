import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseConfig } from '../../src/config/catalog-config';
import type { TestDatabase } from './test-database';

export function sqliteTestDatabase(): TestDatabase {
  let dir: string | undefined;
  return {
    label: 'SQLite',
    unavailableReason: null,
    create(): Promise<DatabaseConfig> {
      dir = mkdtempSync(join(tmpdir(), 'catalog-e2e-'));
      return Promise.resolve({ type: 'sqlite', path: join(dir, 'catalog.sqlite') });
    },
    drop(): Promise<void> {
      if (dir) rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
