export type BenchPart =
  'hit' | 'stampede' | 'patch' | 'http' | 'memory' | 'invalidation' | 'staleness' | 'tracking';

export interface CliOptions {
  parts: BenchPart[];
  /** Overrides every part's number of measured rounds, for a quick look (`--rounds 1`). */
  rounds?: number;
}

const PARTS: BenchPart[] = [
  'hit',
  'stampede',
  'patch',
  'http',
  'memory',
  'invalidation',
  'staleness',
  'tracking',
];

/** `--only hit|stampede|patch|http|memory|invalidation|staleness|tracking` (repeatable or comma-separated), `--rounds N`. */
export function parseCliOptions(argv: string[]): CliOptions {
  const only: BenchPart[] = [];
  let rounds: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--only') {
      for (const part of value().split(',')) {
        if (!PARTS.includes(part as BenchPart)) {
          throw new Error(`--only takes ${PARTS.join(' or ')}, got '${part}'`);
        }
        only.push(part as BenchPart);
      }
    } else if (flag === '--rounds') {
      rounds = Number(value());
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) {
        throw new Error('--rounds takes an integer from 1 to 50');
      }
    } else {
      throw new Error(`unknown argument '${argv[i]}' (use --only ${PARTS.join('|')}, --rounds N)`);
    }
  }
  return { parts: only.length ? PARTS.filter((p) => only.includes(p)) : PARTS, rounds };
}
