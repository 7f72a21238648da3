/**
 * Boots an app with the cache module and shutdown hooks, uses the cache, closes
 * the app, and then must exit on its own: any handle we leave open (a socket, a
 * timer) would keep it alive and the test kills it after 15 s.
 */
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheAsideModule, CacheAsideService } from 'nest-cache-aside';

@Module({
  imports: [
    CacheAsideModule.forRoot({
      redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      keyPrefix: process.env.CACHE_PREFIX ?? 'shutdown-test',
    }),
  ],
})
class ShutdownModule {}

async function main() {
  const app = await NestFactory.createApplicationContext(ShutdownModule, { logger: false });
  app.enableShutdownHooks();
  if (process.env.CLOSE_IMMEDIATELY === '1') {
    // the connections are still being opened: closing must not leave them behind
    await app.close();
    return;
  }
  const cache = app.get(CacheAsideService);
  for (let i = 0; i < 100 && !(await cache.set('shutdown', 1, 5)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await cache.getOrLoad('shutdown:load', async () => 'value', { ttlSeconds: 5 });
  await cache.del('shutdown', 'shutdown:load');
  await app.close();
}

void main();
