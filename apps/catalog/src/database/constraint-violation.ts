import { QueryFailedError } from 'typeorm';

// Mapping driver errors lets writes rely on the database's constraints instead of a
// read-before-write check, which would cost a query and still race.

/** SQLite reports the constraint kind in `code`; PostgreSQL uses SQLSTATE. */
export function isUniqueViolation(error: unknown): boolean {
  return hasCode(error, ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY', '23505']);
}

export function isForeignKeyViolation(error: unknown): boolean {
  return hasCode(error, ['SQLITE_CONSTRAINT_FOREIGNKEY', '23503']);
}

function hasCode(error: unknown, codes: string[]): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && codes.includes(code);
}
