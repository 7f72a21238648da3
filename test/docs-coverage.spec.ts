import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as library from 'nest-cache-aside';
import { CacheAsideService } from 'nest-cache-aside';

// The reference in docs/ can't silently fall behind the code: every option field, every
// public method of CacheAsideService, every field of stats() and every runtime export of
// the package must be named (in backticks) on its page.
const root = join(__dirname, '..');
const src = join(root, 'libs/cache-aside/src');
const page = (name: string) => readFileSync(join(root, 'docs', name), 'utf8');

/** The field names of an exported interface, as declared in its source file. */
function interfaceFields(file: string, name: string): string[] {
  const text = readFileSync(join(src, file), 'utf8');
  const start = text.search(new RegExp(`export interface ${name}\\b[^{]*\\{`));
  if (start < 0) throw new Error(`${file} declares no interface ${name}`);
  const body: string[] = [];
  let depth = 0;
  for (const line of text.slice(text.indexOf('{', start)).split('\n')) {
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    body.push(line);
    if (depth === 0) break;
  }
  const fields = body
    .map((line) => /^ {2}(?:readonly )?([A-Za-z_$][\w$]*)\??:/.exec(line)?.[1])
    .filter((field): field is string => field !== undefined);
  if (fields.length === 0) throw new Error(`found no fields in ${name}`);
  return fields;
}

/** Names a page mentions as code: `name`, `name(...)`, `name: ...`, `@Name`. */
const mentions = (text: string, name: string) => new RegExp('`@?' + name + '\\b').test(text);

function unmentioned(text: string, names: string[]): string[] {
  return names.filter((name) => !mentions(text, name));
}

/** Nest calls these, not users. */
const LIFECYCLE_HOOKS = new Set(['constructor', 'onModuleInit', 'onModuleDestroy']);

describe('docs/ covers the public API', () => {
  it('docs/options.md names every module option and extra, and every per-call option', () => {
    const options = page('options.md');
    const fields = [
      ...interfaceFields(
        'interfaces/cache-aside-module-options.interface.ts',
        'CacheAsideModuleOptions',
      ),
      ...interfaceFields('cache-aside.module-definition.ts', 'CacheAsideModuleExtras'),
      ...interfaceFields('interfaces/cache-load-options.interface.ts', 'CacheLoadOptions'),
    ];
    expect(fields).toEqual(expect.arrayContaining(['trackAllKeys', 'name', 'isGlobal']));
    expect(unmentioned(options, fields)).toEqual([]);
  });

  it('docs/service-api.md names every public method of CacheAsideService', () => {
    const methods = Object.getOwnPropertyNames(CacheAsideService.prototype).filter(
      (name) => !LIFECYCLE_HOOKS.has(name),
    );
    expect(methods).toEqual(expect.arrayContaining(['getOrLoad', 'evictAll', 'isAvailable']));
    expect(unmentioned(page('service-api.md'), methods)).toEqual([]);
  });

  it('docs/service-api.md names every field of stats() and of a Redis failure', () => {
    const fields = [
      ...interfaceFields('interfaces/cache-stats.interface.ts', 'CacheStats'),
      ...interfaceFields('interfaces/cache-stats.interface.ts', 'CacheStatsSnapshot'),
      ...interfaceFields('interfaces/cache-stats.interface.ts', 'RedisFailureInfo'),
    ];
    expect(unmentioned(page('service-api.md'), fields)).toEqual([]);
  });

  it('docs/decorators.md names every option of the decorators', () => {
    const fields = [
      ...interfaceFields('decorators/cacheable.decorator.ts', 'CacheableOptions'),
      ...interfaceFields('decorators/cache-evict.decorator.ts', 'CacheEvictOptions'),
      ...interfaceFields('decorators/cache-patch.decorator.ts', 'CachePatchOptions'),
    ];
    expect(fields).toContain('version');
    expect(unmentioned(page('decorators.md'), fields)).toEqual([]);
  });

  it('docs/service-api.md or docs/decorators.md names every runtime export of the package', () => {
    const reference = page('service-api.md') + page('decorators.md');
    expect(unmentioned(reference, Object.keys(library))).toEqual([]);
  });
});
