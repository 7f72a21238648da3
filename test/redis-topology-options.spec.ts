import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  CacheAsideModule,
  CacheOptionsError,
  type CacheAsideModuleOptions,
} from 'nest-cache-aside';
import { startCacheApp } from './support/cache-app';
import { spareClusterPort } from './support/own-redis-topology';

jest.setTimeout(30_000);

async function boot(options: CacheAsideModuleOptions) {
  @Module({ imports: [CacheAsideModule.forRoot(options)] })
  class TopologyOptionsModule {}
  return NestFactory.createApplicationContext(TopologyOptionsModule, {
    logger: false,
    abortOnError: false,
  });
}

describe('the redis option: cluster and sentinel', () => {
  it.each([
    [{ cluster: { rootNodes: [] } }, 'redis.cluster.rootNodes must list at least one node'],
    [
      { sentinel: { name: '', sentinelRootNodes: [{ host: '127.0.0.1', port: 26379 }] } },
      'redis.sentinel needs a name and sentinelRootNodes',
    ],
    [
      { sentinel: { name: 'mymaster', sentinelRootNodes: [] } },
      'redis.sentinel.sentinelRootNodes must list at least one sentinel',
    ],
  ] as Array<[CacheAsideModuleOptions['redis'], string]>)(
    'rejects %j at start-up',
    async (redis, message) => {
      const failure = await boot({ redis }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(CacheOptionsError);
      expect((failure as Error).message).toContain(message);
    },
  );

  it('boots while no cluster root node answers, serves from the loader, and closes at once', async () => {
    const port = await spareClusterPort(); // nothing listens there
    const node = await startCacheApp(
      { redis: { cluster: { rootNodes: [{ url: `redis://127.0.0.1:${port}` }] } } },
      { waitForRedis: false },
    );
    const result = await node.cache.getOrLoadWithStatus('boot:1', async () => 'loaded');
    expect(result).toEqual({ value: 'loaded', status: 'BYPASS' });
    const closing = Date.now();
    await node.close();
    expect(Date.now() - closing).toBeLessThan(3000);
  });
});
