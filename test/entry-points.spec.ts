import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

jest.setTimeout(60_000);

const ROOT = join(__dirname, '..');

/**
 * The package names an entry file pulls in, seen by a hook on Node's module loader in a
 * process of its own (Jest's module registry would hide what Node loads).
 */
async function packagesLoadedBy(entry: string): Promise<string[]> {
  const script = `
    const Module = require('node:module');
    const seen = new Set();
    const load = Module._load;
    Module._load = function (request, ...rest) {
      if (!request.startsWith('.') && !request.startsWith('/') && !request.startsWith('node:')) {
        seen.add(request.split('/').slice(0, request.startsWith('@') ? 2 : 1).join('/'));
      }
      return load.call(this, request, ...rest);
    };
    require(${JSON.stringify(join(ROOT, entry))});
    process.stdout.write(JSON.stringify([...seen]));
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['-r', '@swc-node/register', '-e', script],
    { cwd: ROOT, env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.json' } },
  );
  return JSON.parse(stdout) as string[];
}

describe('entry points', () => {
  it('the main entry point loads neither optional peer dependency', async () => {
    const loaded = await packagesLoadedBy('libs/cache-aside/src/index.ts');
    expect(loaded).toContain('redis'); // the hook does see packages
    expect(loaded).not.toContain('@nestjs/terminus');
    expect(loaded).not.toContain('prom-client');
  });

  it('each integration loads its own peer and not the other', async () => {
    const terminus = await packagesLoadedBy('libs/cache-aside/src/terminus.ts');
    expect(terminus).toContain('@nestjs/terminus');
    expect(terminus).not.toContain('prom-client');
    const prometheus = await packagesLoadedBy('libs/cache-aside/src/prometheus.ts');
    expect(prometheus).toContain('prom-client');
    expect(prometheus).not.toContain('@nestjs/terminus');
  });
});
