import { thousands } from '../support/report-table';
import type { MemoryRound } from './memory-round';

/**
 * What a round must show: every key carries a TTL, the live keys are those the stage
 * expects (the one-off entries gone after the TTL, the working set kept while read, nothing
 * once reads stop), and no read bypassed Redis (a bypassed read writes no entry). Checked
 * per round, as a median would hide one round's failure.
 */
export function roundCheckFailures(round: number, result: MemoryRound): string[] {
  const failures: string[] = [];
  for (const stage of result.stages) {
    if (stage.keysWithoutTtl > 0) {
      failures.push(`round ${round}, ${stage.stage}: ${stage.keysWithoutTtl} keys without a TTL`);
    }
    if (stage.keys !== stage.expectedKeys) {
      failures.push(
        `round ${round}, ${stage.stage}: ${thousands(stage.keys)} live keys, ` +
          `expected ${thousands(stage.expectedKeys)}`,
      );
    }
  }
  if (result.faults > 0) {
    failures.push(`round ${round}: ${result.faults} bypassed reads or Redis errors`);
  }
  return failures;
}
