import { Logger } from '@nestjs/common';
import { runSeed } from './seed.runner';

// Entry point of `npm run seed`; everything testable lives in seed.runner.ts.
// TypeORM's chatter (pending-migration checks) would interleave with the progress bar.
Logger.overrideLogger(['log', 'warn', 'error', 'fatal']);
runSeed(process.argv.slice(2), { progress: process.stderr.isTTY }).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
