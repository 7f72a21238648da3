/*
 * Benchmarks of @app/cache-aside against a raw Redis read, @nestjs/cache-manager and
 * bentocache: the hit path (part 1) and stampedes across processes (part 2).
 *
 *   npm run bench                     both parts (about 4 minutes)
 *   npm run bench -- --only hit       or --only stampede, --only patch; --rounds N for a quick look
 *
 * Prints a table per part and writes bench/results/latest.json and latest.md.
 */
import { cpus } from 'node:os';
import { runHitPathBench, hitPathTables } from './hit-path/hit-path-bench';
import { patchTables, runPatchBench } from './patch/patch-bench';
import { runStampedeBench, stampedeTables } from './stampede/stampede-bench';
import { parseCliOptions } from './support/cli-options';
import { connectAdmin, serverVersion } from './support/redis-admin';
import { renderText, type ReportTable } from './support/report-table';
import { writeResults } from './support/results-writer';

async function main() {
  const options = parseCliOptions(process.argv.slice(2));
  const startedAt = new Date();
  const admin = await connectAdmin();
  const redis = await serverVersion(admin);
  admin.destroy();

  const tables: ReportTable[] = [];
  const parts: Record<string, unknown> = {};
  const print = (newTables: ReportTable[]) => {
    for (const table of newTables) process.stdout.write(`\n${renderText(table)}\n`);
    tables.push(...newTables);
  };
  if (options.parts.includes('hit')) {
    process.stderr.write('Part 1: hit path\n');
    const result = await runHitPathBench(options.rounds);
    parts.hit = result;
    print(hitPathTables(result));
  }
  if (options.parts.includes('stampede')) {
    process.stderr.write('Part 2: stampede\n');
    const result = await runStampedeBench(options.rounds);
    parts.stampede = result;
    print(stampedeTables(result));
  }
  if (options.parts.includes('patch')) {
    process.stderr.write('Part 3: one-field update\n');
    const result = await runPatchBench(options.rounds);
    parts.patch = result;
    print(patchTables(result));
  }
  const durationSeconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  writeResults(
    {
      startedAt: startedAt.toISOString(),
      durationSeconds,
      command: [
        'npm run bench',
        ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
      ].join(' '),
      node: process.versions.node,
      redis,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    },
    parts,
    tables,
  );
  process.stderr.write(`done in ${durationSeconds} s; wrote bench/results/latest.{json,md}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
