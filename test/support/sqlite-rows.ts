import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Row {
  id: number;
  version: number;
  updatedAt: Date;
}

/** A real SQLite table of versioned rows: the "database" of the staleness tests. */
export class SqliteRows {
  private readonly dir = mkdtempSync(join(tmpdir(), 'cache-aside-rows-'));
  /** The database file, for another process to read the same rows. */
  readonly path = join(this.dir, 'rows.sqlite');
  private readonly db = new Database(this.path);
  reads = 0;

  constructor(count: number) {
    this.db.exec(
      'CREATE TABLE rows (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, updated_at INTEGER NOT NULL)',
    );
    const insert = this.db.prepare('INSERT INTO rows (id, version, updated_at) VALUES (?, 1, ?)');
    for (let id = 1; id <= count; id++) insert.run(id, Date.now());
  }

  read(id: number): Row {
    this.reads++;
    const row = this.db
      .prepare('SELECT id, version, updated_at AS updatedAt FROM rows WHERE id = ?')
      .get(id) as {
      id: number;
      version: number;
      updatedAt: number;
    };
    return { id: row.id, version: row.version, updatedAt: new Date(row.updatedAt) };
  }

  /** Another process's view of the same table (readers in a second app instance). */
  static readFrom(path: string): (id: number) => Row {
    const db = new Database(path, { readonly: true });
    const select = db.prepare('SELECT id, version, updated_at AS updatedAt FROM rows WHERE id = ?');
    return (id) => {
      const row = select.get(id) as { id: number; version: number; updatedAt: number };
      return { id: row.id, version: row.version, updatedAt: new Date(row.updatedAt) };
    };
  }

  bump(id: number): void {
    this.db
      .prepare('UPDATE rows SET version = version + 1, updated_at = ? WHERE id = ?')
      .run(Date.now(), id);
  }

  close(): void {
    this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A loader that reads row `id` and then waits until `finish()`: a load caught between its
 * database read and its fill, for a write to slip in. `hasRead` resolves once it has read.
 */
export function loadThatWaits(rows: SqliteRows, id: number) {
  let markRead!: () => void;
  let finish!: () => void;
  const hasRead = new Promise<void>((resolve) => (markRead = resolve));
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const load = async (): Promise<Row> => {
    const row = rows.read(id);
    markRead();
    await finished;
    return row;
  };
  return { load, hasRead, finish };
}
