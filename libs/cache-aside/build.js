// Builds the package: tsc emits CommonJS and .d.ts into dist/, then the Lua scripts are
// copied beside the compiled loader (scripts/cache-scripts.js reads them from its __dirname).
// With --with-readme (npm pack), the repository's README becomes the package's.
const { execFileSync } = require('node:child_process');
const { copyFileSync, mkdirSync, readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(__dirname, 'tsconfig.build.json')], {
  stdio: 'inherit',
});

const scripts = join(__dirname, 'src', 'scripts');
mkdirSync(join(dist, 'scripts'), { recursive: true });
for (const file of readdirSync(scripts).filter((name) => name.endsWith('.lua'))) {
  copyFileSync(join(scripts, file), join(dist, 'scripts', file));
}

if (process.argv.includes('--with-readme')) {
  copyFileSync(join(__dirname, '..', '..', 'README.md'), join(__dirname, 'README.md'));
}
