import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { inspect } from 'node:util';
import { CacheAsideModule, CacheAsideService, CacheOptionsError } from 'nest-cache-aside';
import { sleep } from './support/cache-app';
import { OwnRedis } from './support/own-redis';
import { connectTestRedis } from './support/redis';

jest.setTimeout(30_000);

const SECRET = 's3cret-Pa55';

/** Everything the library logged while `run` ran, through Nest's Logger. */
async function captureLogs(run: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  const spies = (['log', 'warn', 'error', 'debug', 'verbose'] as const).map((level) =>
    jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((arg) => inspect(arg, { depth: 10 })).join(' '));
    }),
  );
  try {
    await run();
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
  return lines.join('\n');
}

async function startWith(redis: CacheAsideModuleRedis) {
  @Module({ imports: [CacheAsideModule.forRoot({ redis, commandTimeoutMs: 200 })] })
  class SecretsModule {}
  // abortOnError: false, so a start-up error rejects here instead of exiting the process
  return NestFactory.createApplicationContext(SecretsModule, {
    logger: false,
    abortOnError: false,
  });
}
type CacheAsideModuleRedis = Parameters<typeof CacheAsideModule.forRoot>[0]['redis'];

describe('passwords never appear in errors or logs', () => {
  it.each([
    ['a port out of range', `redis://:${SECRET}@127.0.0.1:99999`],
    ['a space in the host', `redis://user:${SECRET}@cache host:6379`],
    ["an '@' in the password", `redis://user:${SECRET}@x@127.0.0.1:99999`],
    ['another scheme', `http://user:${SECRET}@127.0.0.1:6379`],
  ])('a malformed URL (%s): a clear error, the password hidden', async (_label, url) => {
    let thrown: unknown;
    const logs = await captureLogs(async () => {
      thrown = await startWith(url).then(
        (app) => app.close(),
        (error: unknown) => error,
      );
    });
    expect(thrown).toBeInstanceOf(CacheOptionsError);
    expect((thrown as Error).message).toMatch(/redis/);
    const everything = `${inspect(thrown, { depth: 10 })} ${(thrown as Error).stack} ${logs}`;
    expect(everything).not.toContain(SECRET);
    expect((thrown as Error).cause).toBeUndefined();
  });

  it('the same inside a cluster root node', async () => {
    const thrown = await startWith({
      cluster: { rootNodes: [{ url: `redis://:${SECRET}@127.0.0.1:99999` }] },
    }).then(
      (app) => app.close(),
      (error: unknown) => error,
    );
    expect(thrown).toBeInstanceOf(CacheOptionsError);
    expect(inspect(thrown, { depth: 10 })).not.toContain(SECRET);
  });

  it('a wrong password: connection errors, failures in stats() and logs keep it hidden', async () => {
    const server = await OwnRedis.start();
    const admin = await connectTestRedis(server.url);
    await admin.configSet('requirepass', 'the-right-one');
    const logs = await captureLogs(async () => {
      const app = await startWith(`redis://default:${SECRET}@127.0.0.1:${server.port}`);
      const cache = app.get(CacheAsideService);
      await sleep(500); // connection attempts and their errors
      expect(await cache.getOrLoad('product:1', async () => 'from the loader')).toBe(
        'from the loader',
      );
      expect(JSON.stringify(cache.stats())).not.toContain(SECRET);
      await app.close();
    });
    expect(logs).toMatch(/WRONGPASS|invalid|auth/i); // the failure was logged...
    expect(logs).not.toContain(SECRET); // ...without the password
    admin.destroy();
    await server.kill();
  });
});
