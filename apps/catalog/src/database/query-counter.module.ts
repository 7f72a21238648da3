import { Module } from '@nestjs/common';
import { QueryCounter } from './query-counter';

// A module of its own so TypeORM's async factory can inject the counter it logs into.
@Module({ providers: [QueryCounter], exports: [QueryCounter] })
export class QueryCounterModule {}
