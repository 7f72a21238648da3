export type BenchPart = 'hit' | 'stampede' | 'patch';

export interface CliOptions {
  parts: BenchPart[];
  /** Overrides the number of measured rounds of every part (for a quick look). */
  rounds?: number;
}

const PARTS: BenchPart[] = ['hit', 'stampede', 'patch'];

/** `--only hit|stampede|patch` (repeatable or comma-separated), `--rounds N`. */
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
      throw new Error(`unknown argument '${argv[i]}' (use --only hit|stampede|patch, --rounds N)`);
    }
  }
  return { parts: only.length ? PARTS.filter((p) => only.includes(p)) : PARTS, rounds };
}
