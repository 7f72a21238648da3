import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const MAIN = join(REPO_ROOT, 'apps', 'catalog', 'src', 'main.ts');

export interface CatalogProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * main.ts as an operator runs it: a process of its own that reads only the environment
 * given here (plus PATH), through @swc-node/register. Resolves once it listens.
 */
export async function startCatalogProcess(env: Record<string, string>): Promise<CatalogProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, SWC_NODE_PROJECT: 'tsconfig.json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const poll = setInterval(() => {
      const url = /Catalog API on (http:\/\/\S+?:\d+)/.exec(output)?.[1];
      if (url) {
        clearInterval(poll);
        resolve(url);
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(poll);
      reject(new Error(`the catalog exited (${code}) before listening:\n${output}`));
    });
  });
  return {
    child,
    baseUrl,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
