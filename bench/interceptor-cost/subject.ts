import { AsyncLocalStorage } from 'node:async_hooks';
import type { AddressInfo } from 'node:net';
import { promiseHooks } from 'node:v8';
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Param,
  ParseIntPipe,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response as ExpressResponse } from 'express';
import { Observable, tap } from 'rxjs';
import { join } from 'node:path';
import type * as Library from 'nest-cache-aside';
import { VARIANTS, type Variant } from './variants';

/*
 * One subject of the interceptor-cost bench, in a process of its own: a minimal Nest app
 * (express) whose GET /items/:id reads through CacheAsideService (a Redis hit once warm),
 * with the interceptor variant named by VARIANT. LIBRARY: the library's source folder
 * (the baseline's, for the "old" variants). Prints {"type":"ready","port":N}; exits when
 * its stdin ends.
 */

const variant = process.env.VARIANT as Variant;
// the baseline's source for the old variants: a path known only at run time
const libraryDir = process.env.LIBRARY ?? join(__dirname, '..', '..', 'libs', 'cache-aside', 'src');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const library = require(libraryDir) as typeof Library;
if (!VARIANTS.includes(variant)) throw new Error(`unknown VARIANT ${variant}`);

if (variant === 'als-idle') new AsyncLocalStorage<object>().enterWith({});
if (variant === 'hooks-idle') {
  const nothing = () => undefined;
  promiseHooks.onInit(nothing);
  promiseHooks.onBefore(nothing);
  promiseHooks.onAfter(nothing);
}
if (variant.endsWith('-nonow')) performance.now = () => 0;

interface Response {
  setHeader(name: string, value: string): void;
  headersSent: boolean;
}

@Injectable()
class NoopInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

@Injectable()
class RxInterceptor implements NestInterceptor {
  constructor(private readonly headers: boolean) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<Response>();
    const write = () => {
      if (!this.headers || response.headersSent) return;
      response.setHeader('X-Cache', 'HIT');
      response.setHeader(
        'Server-Timing',
        `cache;desc="Redis";dur=${(0.5).toFixed(2)}, db;desc="Loader";dur=${(0).toFixed(2)}`,
      );
    };
    return new Observable((subscriber) =>
      next
        .handle()
        .pipe(tap({ next: write, error: write }))
        .subscribe(subscriber),
    );
  }
}

const ITEM = { id: 0, name: 'Desk lamp', price: 4200, tags: ['lighting', 'desk'] };

@Controller('items')
class ItemsController {
  constructor(
    @Inject(library.CacheAsideService) private readonly cache: Library.CacheAsideService,
  ) {}

  @Get(':id')
  find(@Param('id', ParseIntPipe) id: number): Promise<typeof ITEM> {
    return this.cache.getOrLoad(`item:${id}`, async () => ({ ...ITEM, id }), { ttlSeconds: 3600 });
  }
}

function interceptor(): NestInterceptor | undefined {
  switch (variant) {
    case 'noop':
      return new NoopInterceptor();
    case 'rx':
    case 'rx-headers':
      return new RxInterceptor(variant === 'rx-headers');
    case 'old':
    case 'old-nonow':
    case 'new':
    case 'new-nonow':
    case 'new-als':
      return new library.CacheStatusInterceptor();
    default:
      return undefined;
  }
}

async function main() {
  @Module({
    imports: [
      library.CacheAsideModule.forRoot({
        redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        keyPrefix: process.env.KEY_PREFIX ?? 'bench-interceptor-cost',
      }),
    ],
    controllers: [ItemsController],
  })
  class SubjectModule {}

  const app = await NestFactory.create<NestExpressApplication>(SubjectModule, {
    logger: ['error', 'fatal'],
  });
  const chosen = interceptor();
  if (chosen) app.useGlobalInterceptors(chosen);
  if (variant === 'new-middleware') app.use('/items', new library.CacheStatusMiddleware().use);
  // CPU time the process has used, for CPU per request: robust where other processes share the machine
  app.use('/cpu', (_request: unknown, response: ExpressResponse) => {
    response.json(process.cpuUsage());
  });
  await app.init();
  const cache = app.get(library.CacheAsideService);
  for (let i = 0; !(await cache.isAvailable()); i++) {
    if (i > 250) throw new Error('CacheAsideModule did not connect to Redis');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ type: 'ready', port, node: process.version })}\n`);
  process.stdin.on('end', () => void app.close().then(() => process.exit(0)));
  process.stdin.resume();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
