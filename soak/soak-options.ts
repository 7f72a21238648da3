export interface SoakOptions {
  /** Length of the load, faults included, in minutes. @default 1 */
  minutes: number;
  /** Requests per second over both instances (a ceiling: the load is paced, not open). @default 300 */
  ratePerSecond: number;
  /** Requests in flight at most, over both instances. @default 16 */
  concurrency: number;
  /** Seeds the request mix, so a run can be repeated. @default 1 */
  seed: number;
  /**
   * Stale reads in windows the soak did not inject (Redis calls that failed on their own,
   * e.g. timeouts on a busy machine) fail the run too. @default false
   */
  strict: boolean;
  /** Keep the run's directory (database, logs, stale reads as JSON) even when it passes. @default false */
  keep: boolean;
  /**
   * Both instances keep what they read in their near cache too (CACHE_NEAR). The checker
   * is the same: a read that began after a write's response, in either instance, must show
   * it, since Redis sends the invalidation before the writer's reply. @default false
   */
  near: boolean;
}

const DEFAULTS: SoakOptions = {
  minutes: 1,
  ratePerSecond: 300,
  concurrency: 16,
  seed: 1,
  strict: false,
  keep: false,
  near: false,
};

const USAGE =
  '--minutes N (decimals allowed), --rate N, --concurrency N, --seed N, --strict, --keep, --near';

/** `--minutes 0.5 --rate 300 --concurrency 16 --seed 1 --keep --near` (also `--flag=value`). */
export function parseSoakOptions(argv: string[]): SoakOptions {
  const options = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--minutes':
        options.minutes = readNumber(flag, value(), 0.1, 1_440);
        break;
      case '--rate':
        options.ratePerSecond = readNumber(flag, value(), 1, 100_000);
        break;
      case '--concurrency':
        options.concurrency = Math.round(readNumber(flag, value(), 1, 1_000));
        break;
      case '--seed':
        options.seed = Math.round(readNumber(flag, value(), 0, 2 ** 31));
        break;
      case '--strict':
        options.strict = true;
        break;
      case '--keep':
        options.keep = true;
        break;
      case '--near':
        options.near = true;
        break;
      default:
        throw new Error(`unknown argument '${argv[i]}' (use ${USAGE})`);
    }
  }
  return options;
}

function readNumber(flag: string, raw: string | undefined, min: number, max: number): number {
  const value = Number(raw);
  if (raw === undefined || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${flag} takes a number from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}
