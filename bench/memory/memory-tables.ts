import { counted, fixed, thousands, type ReportTable } from '../support/report-table';
import type { MemoryResult } from './memory-bench';

const mebibytes = (bytes: number) => fixed(bytes / 2 ** 20, 2);

function checkNote(result: MemoryResult): string {
  if (result.checkFailures.length === 0) {
    return (
      `checks, ${result.rounds === 1 ? 'in the round' : `in each of the ${result.rounds} rounds`}: no key without a TTL; live keys exactly as ` +
      `expected (K + N after the reads, K after the TTL while the working set is read, 0 after ` +
      `reads stop); no bypassed read or Redis error`
    );
  }
  return `CHECKS FAILED: ${result.checkFailures.join('; ')}`;
}

export function memoryTables(result: MemoryResult): ReportTable[] {
  return [
    {
      title:
        `Part 5: Redis memory and keys, @Cacheable with a ${result.ttlSeconds} s TTL, ` +
        `median of ${counted(result.rounds, 'round')}`,
      notes: [
        `each round on a fresh redis-server of the bench's own; hash entries of the catalog's ` +
          `product view (~${thousands(result.viewJsonBytes)} bytes as JSON), loaded from SQLite beforehand`,
        `the working set (K = ${thousands(result.workingSet)}) is read in full every ` +
          `${result.workingSetPeriodMs} ms from the second stage until reads stop; per round (median): ` +
          `${thousands(result.workingSetReads)} such reads, ${thousands(result.loads)} loader runs, ` +
          `${thousands(result.hits)} hits; reading the N others took ${fixed(result.oneOffSeconds, 1)} s ` +
          `(${fixed(result.oneOffSecondsMin, 1)}-${fixed(result.oneOffSecondsMax, 1)} s)`,
        "held: DBSIZE, expired keys Redis's expiry has not reclaimed yet included; live keys: " +
          'SCAN (which reclaims the expired keys it meets; used_memory is read after it); ' +
          'min-max: live keys over the rounds',
        'no TTL: keys whose TTL is -1, highest of any round (must be 0); Δ used: used_memory above the ' +
          "round's empty server; dataset: used_memory_dataset (used_memory less the server's overhead); " +
          'bytes/key: Δ used per live key, median of the rounds',
        checkNote(result),
      ],
      columns: [
        'stage',
        'at s',
        'held',
        'live keys',
        'min-max',
        'no TTL',
        'used_memory MiB',
        'Δ used MiB',
        'dataset MiB',
        'bytes/key',
      ],
      rows: result.stages.map((stage) => [
        stage.stage,
        fixed(stage.atSeconds, 1),
        thousands(stage.held),
        thousands(stage.keys),
        `${stage.keysMin}-${stage.keysMax}`,
        String(stage.keysWithoutTtl),
        mebibytes(stage.usedMemoryBytes),
        mebibytes(stage.usedMemoryDeltaBytes),
        mebibytes(stage.datasetBytes),
        stage.bytesPerKey === null ? '-' : thousands(stage.bytesPerKey),
      ]),
    },
  ];
}
