import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import { CacheAsideService } from 'nest-cache-aside';
import {
  httpSubjectModule,
  usesOurLibrary,
  XCacheTally,
  type HttpSubjectConfig,
} from './http-subjects';

/*
 * One HTTP subject in a process of its own (started by subject-process.ts), so the load
 * generator never shares its event loop. Prints {"type":"ready","port":N} once it listens
 * on a free loopback port; closes and exits when its stdin ends.
 */
async function main() {
  const config = JSON.parse(process.argv[2]) as HttpSubjectConfig;
  const app = await NestFactory.create<NestExpressApplication>(httpSubjectModule(config), {
    logger: ['error', 'fatal'],
  });
  const tally = app.get(XCacheTally);
  app.use('/products', (_request: Request, response: Response, next: NextFunction) => {
    response.once('finish', () => {
      const value = response.getHeader('x-cache');
      tally.record(typeof value === 'string' ? value : 'NONE');
    });
    next();
  });
  await app.init(); // the library connects from a lifecycle hook
  if (usesOurLibrary(config.kind)) await waitForLibraryRedis(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ type: 'ready', port })}\n`);

  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await app.close();
    process.exit(0);
  };
  process.stdin.on('end', () => void close());
  process.stdin.resume();
}

/** The library connects without waiting (an app must boot while Redis is down). */
async function waitForLibraryRedis(app: NestExpressApplication) {
  const cache = app.get(CacheAsideService);
  for (let i = 0; !(await cache.isAvailable()); i++) {
    if (i > 250) throw new Error('CacheAsideModule did not connect to Redis');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
