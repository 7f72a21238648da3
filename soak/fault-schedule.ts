export type FaultKind = 'redis-kill' | 'redis-freeze' | 'app-restart';

export interface PlannedFault {
  kind: FaultKind;
  /** Milliseconds after the load started. */
  atMs: number;
}

const FAULT_CYCLE: FaultKind[] = ['redis-kill', 'redis-freeze', 'app-restart'];
const WARM_UP_MS = 5_000;
/** No fault starts this close to the end: the last stretch checks that recovery held. */
const QUIET_TAIL_MS = 20_000;

/**
 * Faults in turn (Redis SIGKILLed and restarted, Redis frozen, one app instance restarted):
 * every 14 s in runs under two minutes, so a one-minute run has one of each, every 20 s
 * in longer ones.
 */
export function planFaults(durationMs: number): PlannedFault[] {
  const periodMs = durationMs < 120_000 ? 14_000 : 20_000;
  const faults: PlannedFault[] = [];
  for (let atMs = WARM_UP_MS; atMs <= durationMs - QUIET_TAIL_MS; atMs += periodMs) {
    faults.push({ kind: FAULT_CYCLE[faults.length % FAULT_CYCLE.length], atMs });
  }
  return faults;
}
