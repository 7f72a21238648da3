import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// The README's quick start and "Testing your services" are the code the CI consumer apps
// run (scripts/consumer-apps/run.sh copies app/src into fresh Nest apps): each code block
// under a `<!-- quick-start: <file>[#<region>] -->` line must be that file (or the part
// between its `// #region <region>` and `// #endregion <region>` lines), verbatim.
const root = join(__dirname, '..');
const appDir = join(root, 'scripts/consumer-apps/app');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Quote {
  ref: string;
  code: string;
}

function quotes(): Quote[] {
  const found: Quote[] = [];
  const marker = /<!-- quick-start: (\S+) -->\n\n```ts\n([\s\S]*?)\n```/g;
  for (const match of readme.matchAll(marker)) found.push({ ref: match[1], code: match[2] });
  return found;
}

function dedent(text: string): string {
  const lines = text.split('\n');
  const indent = Math.min(
    ...lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)![0].length),
  );
  return lines.map((line) => line.slice(indent)).join('\n');
}

function quoted(ref: string): string {
  const [path, region] = ref.split('#');
  const text = readFileSync(join(root, path), 'utf8');
  if (region === undefined) return text.replace(/\n+$/, '');
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim() === `// #region ${region}`);
  const end = lines.findIndex((line) => line.trim() === `// #endregion ${region}`);
  if (start < 0 || end < start) throw new Error(`${path} has no region '${region}'`);
  return dedent(lines.slice(start + 1, end).join('\n'));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("README's quick start = the consumer apps' code", () => {
  it('quotes files and regions that exist', () => {
    expect(quotes().length).toBeGreaterThanOrEqual(4);
  });

  it.each(quotes().map((quote) => [quote.ref, quote]))('%s is quoted verbatim', (_ref, quote) => {
    expect(quote.code).toBe(quoted(quote.ref));
  });

  it('quotes every file the consumer apps get from scripts/consumer-apps/app', () => {
    const refs = new Set(quotes().map((quote) => quote.ref));
    for (const file of filesUnder(appDir)) {
      expect(refs).toContain(relative(root, file));
    }
  });

  it("installs what the README's Install section says, and copies the quick start", () => {
    const runSh = readFileSync(join(root, 'scripts/consumer-apps/run.sh'), 'utf8');
    expect(readme).toContain('```bash\nnpm i nest-cache-aside redis\n```');
    expect(readme).toContain('```bash\nnpm i nest-cache-aside redis @nestjs/config\n```');
    expect(runSh).toContain('"$tarball" "redis@^5.12.0" @nestjs/config');
    expect(runSh).toContain('cp -R "$here/app/src/." "$app/src/"');
    const pkg = JSON.parse(readFileSync(join(root, 'libs/cache-aside/package.json'), 'utf8'));
    expect(pkg.name).toBe('nest-cache-aside');
  });

  it('imports the library by its package name in every example of the README and docs/', () => {
    const docs = readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => readFileSync(join(root, 'docs', name), 'utf8'));
    for (const text of [readme, ...docs]) {
      expect(text).not.toMatch(/from '(@app\/|\.\.?\/.*libs\/)/);
    }
  });
});
