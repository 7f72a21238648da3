import { Logger as NestLogger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';
import type { QueryCounter } from './query-counter';

/**
 * TypeORM calls logQuery for every statement on every driver, before running it, which
 * makes the logger the one hook that sees raw queries, migrations and transactions alike.
 */
export class CountingQueryLogger implements TypeOrmLogger {
  private readonly logger = new NestLogger('Database');

  constructor(private readonly counter?: QueryCounter) {}

  logQuery(query: string): void {
    this.counter?.record(query);
  }

  // Failed statements were already counted by logQuery; constraint violations are expected
  // (they become 404/409 responses), so they stay at debug level.
  logQueryError(error: string | Error, query: string): void {
    this.logger.debug(`Query failed: ${String(error)} -- ${query}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`Slow query (${time} ms): ${query.slice(0, 500)}`);
  }

  logSchemaBuild(message: string): void {
    this.logger.verbose(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.verbose(String(message));
  }
}
