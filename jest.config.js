// Nest 12 packages are ESM-only and Jest's CommonJS runtime on Node 20 can't require() them,
// so @swc/jest compiles our TypeScript and those ESM packages to CommonJS (cached after the first run).
const esmOnlyPackages = [
  '@nestjs',
  'file-type',
  'strtok3',
  'token-types',
  'uint8array-extras',
  '@tokenizer',
  '@borewit',
  '@standard-schema',
];

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: '.*\\.spec\\.ts$',
  transform: { '^.+\\.(t|j|mj)s$': '@swc/jest' },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages.join('|')})/)`],
  moduleNameMapper: {
    '^nest-cache-aside$': '<rootDir>/libs/cache-aside/src',
    // The optional integrations, each its own entry point (and subpath export).
    '^nest-cache-aside/terminus$': '<rootDir>/libs/cache-aside/src/terminus.ts',
    '^nest-cache-aside/prometheus$': '<rootDir>/libs/cache-aside/src/prometheus.ts',
  },
  testEnvironment: 'node',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
