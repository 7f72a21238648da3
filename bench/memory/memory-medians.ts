import { median } from '../support/statistics';
import type { MemoryRound } from './memory-round';

/** One stage over the rounds: medians, except where a field says otherwise. */
export interface MemoryStageRow {
  stage: string;
  /** Live keys the stage must find. */
  expectedKeys: number;
  /** Seconds since the round's first read. */
  atSeconds: number;
  /** DBSIZE before the scan: includes expired keys Redis has not reclaimed yet. */
  held: number;
  /** Live keys (SCAN). */
  keys: number;
  keysMin: number;
  keysMax: number;
  /** Keys whose TTL is -1 (no expiry), the highest of any round: must be 0. */
  keysWithoutTtl: number;
  usedMemoryBytes: number;
  /** used_memory above the same round's empty server. */
  usedMemoryDeltaBytes: number;
  /** used_memory_dataset: used_memory less the server's own overhead. */
  datasetBytes: number;
  /** usedMemoryDeltaBytes per live key (null: no keys). */
  bytesPerKey: number | null;
}

/** Stages are matched by position: every round runs the same ones in the same order. */
export function medianStages(rounds: MemoryRound[]): MemoryStageRow[] {
  return rounds[0].stages.map((first, i) => {
    const stages = rounds.map((round) => round.stages[i]);
    const deltas = rounds.map(
      (round) => round.stages[i].usedMemoryBytes - round.stages[0].usedMemoryBytes,
    );
    const keys = stages.map((stage) => stage.keys);
    const perKey = stages.flatMap((stage, r) => (stage.keys > 0 ? [deltas[r] / stage.keys] : []));
    return {
      stage: first.stage,
      expectedKeys: first.expectedKeys,
      atSeconds: median(stages.map((stage) => stage.atSeconds)),
      held: median(stages.map((stage) => stage.held)),
      keys: median(keys),
      keysMin: Math.min(...keys),
      keysMax: Math.max(...keys),
      keysWithoutTtl: Math.max(...stages.map((stage) => stage.keysWithoutTtl)),
      usedMemoryBytes: median(stages.map((stage) => stage.usedMemoryBytes)),
      usedMemoryDeltaBytes: median(deltas),
      datasetBytes: median(stages.map((stage) => stage.datasetBytes)),
      bytesPerKey: perKey.length ? median(perKey) : null,
    };
  });
}
