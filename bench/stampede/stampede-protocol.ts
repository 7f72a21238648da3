/** Messages between the stampede bench and its worker processes (one JSON object a line). */

export type StampedeSubjectName =
  'ours' | 'ours-near' | 'cache-manager' | 'bentocache' | 'bentocache-tiered' | 'get-then-set';

export const STAMPEDE_SUBJECTS: StampedeSubjectName[] = [
  'ours',
  'ours-near',
  'cache-manager',
  'bentocache',
  'bentocache-tiered',
  'get-then-set',
];

export interface WorkerConfig {
  /** Every key the worker writes starts with `<prefix>:`. */
  prefix: string;
}

export interface RunCommand {
  type: 'run';
  id: number;
  subject: StampedeSubjectName;
  /** Logical key, fresh for every run so that each starts cold. */
  key: string;
  /** Concurrent callers in this process. */
  concurrency: number;
  /** 'burst': each caller reads once; 'loop': callers read until durationMs passed. */
  mode: 'burst' | 'loop';
  durationMs: number;
  loaderDelayMs: number;
  ttlSeconds: number;
  /** Redis counter the loader INCRs: loads fleet-wide. */
  loadsKey: string;
  /** Epoch ms at which all workers start together. */
  startAt: number;
}

export interface ExitCommand {
  type: 'exit';
}

export type WorkerCommand = RunCommand | ExitCommand;

export interface RunReport {
  type: 'report';
  id: number;
  calls: number;
  errors: number;
  firstError?: string;
  /** Per call, in ms, rounded to µs. */
  latenciesMs: number[];
}

export type WorkerMessage = { type: 'ready'; pid: number } | RunReport;
