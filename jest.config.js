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
  // the package's entry points (libs/cache-aside/package.json "exports"), from the sources
  moduleNameMapper: {
    '^nest-cache-aside$': '<rootDir>/libs/cache-aside/src',
    '^nest-cache-aside/(terminus|prometheus)$': '<rootDir>/libs/cache-aside/src/$1',
  },
  testEnvironment: 'node',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
