import { Injectable } from '@nestjs/common';

export type QueryOperation = 'select' | 'insert' | 'update' | 'delete' | 'other';

/**
 * Counts every SQL statement the app sends to the database. The demo's claim that the
 * cache cuts database load is checked against this number, in /metrics and in tests.
 */
@Injectable()
export class QueryCounter {
  private readonly counts: Record<QueryOperation, number> = {
    select: 0,
    insert: 0,
    update: 0,
    delete: 0,
    other: 0,
  };

  record(sql: string): void {
    this.counts[classify(sql)] += 1;
  }

  get total(): number {
    return Object.values(this.counts).reduce((sum, n) => sum + n, 0);
  }

  byOperation(): Readonly<Record<QueryOperation, number>> {
    return { ...this.counts };
  }
}

function classify(sql: string): QueryOperation {
  const keyword = /^\s*(?:\(\s*)*(\w+)/.exec(sql)?.[1]?.toLowerCase();
  switch (keyword) {
    case 'select':
    case 'with':
      return 'select';
    case 'insert':
      return 'insert';
    case 'update':
      return 'update';
    case 'delete':
      return 'delete';
    default:
      return 'other';
  }
}
