import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DatabaseConfig } from '../../src/config/catalog-config';
import type { TestDatabase } from './test-database';

const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * PostgreSQL from DATABASE_URL, else the local server. Each test file gets a schema of its
 * own (dropped afterwards), so runs can overlap on one server without seeing each other.
 * Skipped only when DATABASE_URL is unset and nothing listens on 127.0.0.1:5432.
 */
export function postgresTestDatabase(): TestDatabase {
  const url = process.env.DATABASE_URL || LOCAL_URL;
  const schema = `catalog_e2e_${process.pid}_${randomBytes(4).toString('hex')}`;
  let created = false;
  return {
    label: 'PostgreSQL',
    unavailableReason:
      process.env.DATABASE_URL || localPortAnswers()
        ? null
        : 'DATABASE_URL is unset and nothing answers on 127.0.0.1:5432',
    async create(): Promise<DatabaseConfig> {
      await withClient(url, (client) => client.query(`CREATE SCHEMA ${schema}`));
      created = true;
      return { type: 'postgres', url, schema };
    },
    async drop(): Promise<void> {
      if (!created) return;
      await withClient(url, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
    },
  };
}

async function withClient(url: string, work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

// Jest decides describe vs describe.skip synchronously while collecting tests, so the probe
// runs in a child process that the test file can wait for.
function localPortAnswers(): boolean {
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      "require('net').connect(5432, '127.0.0.1')" +
        '.on("connect", () => process.exit(0)).on("error", () => process.exit(1))',
    ],
    { timeout: 3_000 },
  );
  return probe.status === 0;
}
