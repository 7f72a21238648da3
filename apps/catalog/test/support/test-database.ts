import type { DatabaseConfig } from '../../src/config/catalog-config';

/** A throw-away database for one test file: created before the app starts, dropped after. */
export interface TestDatabase {
  readonly label: string;
  /** Why the suite is skipped, or null when the database can be used. */
  readonly unavailableReason: string | null;
  create(): Promise<DatabaseConfig>;
  drop(): Promise<void>;
}
