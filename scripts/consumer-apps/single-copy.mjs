// Copied by run.sh into each consumer app and run there with plain Node (no test runner):
// the package loads natively from ESM (named imports of our CommonJS build), and an app
// that reaches it both by `import` and by `require` gets ONE copy of its classes, tokens
// and of @nestjs/common and @nestjs/core (no dual-package hazard). Then a decorated
// provider caches through Redis in an application context.
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  CACHE_ASIDE_MODULE_OPTIONS,
  CacheAsideModule,
  CacheAsideService,
  Cacheable,
} from 'nest-cache-aside';
import { createRequire } from 'node:module';
import { strict as assert } from 'node:assert';

const require = createRequire(import.meta.url);
const same = (name, viaImport, viaRequire) => {
  assert.equal(viaImport, viaRequire, `${name}: import and require give two copies`);
  console.log(`one copy: ${name}`);
};
assert.equal(
  import.meta.resolve('nest-cache-aside'),
  `file://${require.resolve('nest-cache-aside')}`,
);
const lib = require('nest-cache-aside');
same('CacheAsideModule', CacheAsideModule, lib.CacheAsideModule);
same('CacheAsideService', CacheAsideService, lib.CacheAsideService);
same('CACHE_ASIDE_MODULE_OPTIONS', CACHE_ASIDE_MODULE_OPTIONS, lib.CACHE_ASIDE_MODULE_OPTIONS);
same('Cacheable', Cacheable, lib.Cacheable);
same('@nestjs/common Injectable', Injectable, require('@nestjs/common').Injectable);
same('@nestjs/core NestFactory', NestFactory, require('@nestjs/core').NestFactory);

// Decorators applied by hand: this file is plain JavaScript.
class Prices {
  loads = 0;
  async priceOf(sku) {
    this.loads++;
    return { sku, cents: 100 };
  }
}
const descriptor = Object.getOwnPropertyDescriptor(Prices.prototype, 'priceOf');
Object.defineProperty(
  Prices.prototype,
  'priceOf',
  Cacheable('price:{0}', 30)(Prices.prototype, 'priceOf', descriptor) ?? descriptor,
);
Injectable()(Prices);
class AppModule {}
const keyPrefix = `consumer-native-${process.pid}-${Date.now()}`;
Module({
  imports: [
    CacheAsideModule.forRoot({
      redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      keyPrefix,
    }),
  ],
  providers: [Prices],
})(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
try {
  const cache = app.get(CacheAsideService);
  for (let i = 0; i < 50 && !(await cache.isAvailable()); i++)
    await new Promise((r) => setTimeout(r, 100));
  const prices = app.get(Prices);
  await prices.priceOf('A-1');
  await prices.priceOf('A-1');
  assert.equal(prices.loads, 1, 'the second call should be a cache hit');
  await cache.del('price:A-1');
  console.log(
    `native ${process.version}: a decorated provider cached through Redis (1 load for 2 calls)`,
  );
} finally {
  await app.close();
}
