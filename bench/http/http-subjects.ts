import { createKeyv } from '@keyv/redis';
import { CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import {
  Controller,
  Get,
  Injectable,
  Module,
  NotFoundException,
  Optional,
  type OnApplicationBootstrap,
  UseInterceptors,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type Type,
} from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import {
  CacheAsideModule,
  CacheAsideService,
  Cacheable,
  CacheStatusMiddleware,
  type CacheStats,
} from 'nest-cache-aside';
import { IdParam } from '../../apps/catalog/src/common/id-param.decorator';
import { CatalogConfigModule } from '../../apps/catalog/src/config/catalog-config.module';
import { loadCatalogConfig } from '../../apps/catalog/src/config/catalog-config.loader';
import { DatabaseModule } from '../../apps/catalog/src/database/database.module';
import { QueryCounter } from '../../apps/catalog/src/database/query-counter';
import type { ProductView } from '../../apps/catalog/src/products/dto/product-view.dto';
import { Product } from '../../apps/catalog/src/products/product.entity';
import { queryProductView } from '../../apps/catalog/src/products/product-view.query';
import { Review } from '../../apps/catalog/src/products/review.entity';
import { catalogDatabaseEnv, type BenchDatabase } from '../support/bench-database';

/*
 * The builds of the catalog's GET /products/:id, each a Nest app of the bench's own on the
 * catalog's database module (entities, migrations, query counter) and the same statement as
 * the catalog's ProductsService.loadView: the product and its rating summary in one query.
 */
export type HttpSubjectKind =
  | 'none'
  | 'cache-manager'
  | 'ours'
  | 'ours-no-header'
  | 'ours-near'
  | 'ours-near-no-header'
  | 'ceiling';

export const HTTP_SUBJECT_NAMES: Record<HttpSubjectKind, string> = {
  none: 'no cache',
  'cache-manager': '@nestjs/cache-manager CacheInterceptor',
  ours: 'ours: @Cacheable',
  'ours-no-header': 'ours: @Cacheable, no X-Cache',
  'ours-near': 'ours: @Cacheable, near cache',
  'ours-near-no-header': 'ours: @Cacheable, near cache, no X-Cache',
  ceiling: 'ceiling: a fixed view, no database, no cache',
};

/** The builds that use our library (their hits and misses also come from its counters). */
export function usesOurLibrary(kind: HttpSubjectKind): boolean {
  return kind.startsWith('ours');
}

export interface HttpSubjectConfig {
  kind: HttpSubjectKind;
  database: BenchDatabase;
  redisUrl: string;
  /** Every key the subject writes starts with `<keyPrefix>:`. */
  keyPrefix: string;
  ttlSeconds: number;
}

/** What GET /bench/stats returns: counters since the app started. */
export interface HttpSubjectStats {
  /** SQL statements, from the catalog's QueryCounter. */
  queries: number;
  /** Runs of the product loader (the statement above). */
  loads: number;
  /** Responses of GET /products/:id by X-Cache header (NONE: no header). */
  xCache: Record<string, number>;
  /** CPU the process has used (all its threads, user + system, process.cpuUsage()), µs. */
  cpuMicros: number;
  /** Our library's counters (ours only). */
  library?: Pick<
    CacheStats,
    'hits' | 'misses' | 'bypasses' | 'loads' | 'leaseWaits' | 'redisErrors' | 'nearHits'
  >;
}

/** The catalog's product view query, counted. */
@Injectable()
export class ProductViews {
  loads = 0;

  constructor(@InjectRepository(Product) private readonly products: Repository<Product>) {}

  async load(id: number): Promise<ProductView | null> {
    this.loads++;
    return queryProductView(this.products, id);
  }
}

/** Ours, as the catalog caches the view: a hash entry, null cached as "not found". */
@Injectable()
export class CachedProductViews {
  constructor(private readonly views: ProductViews) {}

  @Cacheable({ key: 'product:{0}', storage: 'hash' })
  async findViewOrNull(id: number): Promise<ProductView | null> {
    return this.views.load(id);
  }
}

function found(id: number, view: ProductView | null): ProductView {
  if (!view) throw new NotFoundException(`Product ${id} not found`);
  return view;
}

@Controller('products')
class NoCacheController {
  constructor(private readonly views: ProductViews) {}

  @Get(':id')
  async findOne(@IdParam() id: number): Promise<ProductView> {
    return found(id, await this.views.load(id));
  }
}

/**
 * The framework's ceiling for this route: one product view read at start-up, answered for
 * every id through the same Nest pipeline (id pipe, handler, JSON response), the fastest
 * way this bench knows. No cache hit can cost less, so it bounds what any cached build can
 * serve.
 */
@Injectable()
export class FixedProductView implements OnApplicationBootstrap {
  view!: ProductView;

  constructor(private readonly views: ProductViews) {}

  async onApplicationBootstrap(): Promise<void> {
    this.view = found(1, await this.views.load(1));
  }
}

@Controller('products')
class CeilingController {
  constructor(private readonly fixed: FixedProductView) {}

  // Answered after the event loop's poll, as near-cache hits are (see NearAnswers): a route
  // that answers inside the socket's read callback serves a fifth fewer requests.
  @Get(':id')
  findOne(@IdParam() _id: number): Promise<ProductView> {
    return new Promise((resolve) => setImmediate(() => resolve(this.fixed.view)));
  }
}

@Controller('products')
class CacheManagerController {
  constructor(private readonly views: ProductViews) {}

  // As in Nest's caching docs: the interceptor caches the response under the request URL.
  @Get(':id')
  @UseInterceptors(CacheInterceptor)
  async findOne(@IdParam() id: number): Promise<ProductView> {
    return found(id, await this.views.load(id));
  }
}

@Controller('products')
class OursController {
  constructor(private readonly views: CachedProductViews) {}

  // X-Cache comes from CacheStatusMiddleware, as the catalog applies it (HttpSubjectWithStatusModule).
  @Get(':id')
  async findOne(@IdParam() id: number): Promise<ProductView> {
    return found(id, await this.views.findViewOrNull(id));
  }
}

/**
 * Ours without the X-Cache headers: their per-request record lives in AsyncLocalStorage,
 * which on Node 20 costs every promise of the process, so this build shows what the cache
 * itself costs. Hits and misses come from the library's counters instead of X-Cache.
 */
@Controller('products')
class OursWithoutHeaderController {
  constructor(private readonly views: CachedProductViews) {}

  @Get(':id')
  async findOne(@IdParam() id: number): Promise<ProductView> {
    return found(id, await this.views.findViewOrNull(id));
  }
}

/** Counts X-Cache values of the product route; filled by the app's middleware. */
@Injectable()
export class XCacheTally {
  readonly counts: Record<string, number> = {};

  record(value: string): void {
    this.counts[value] = (this.counts[value] ?? 0) + 1;
  }
}

@Controller('bench')
class BenchStatsController {
  constructor(
    private readonly counter: QueryCounter,
    private readonly views: ProductViews,
    private readonly tally: XCacheTally,
    @Optional() private readonly cacheAside?: CacheAsideService,
  ) {}

  @Get('stats')
  stats(): HttpSubjectStats {
    const library = this.cacheAside?.stats();
    const cpu = process.cpuUsage();
    return {
      cpuMicros: cpu.user + cpu.system,
      queries: this.counter.total,
      loads: this.views.loads,
      xCache: { ...this.tally.counts },
      library: library && {
        hits: library.hits,
        misses: library.misses,
        loads: library.loads,
        bypasses: library.bypasses,
        leaseWaits: library.leaseWaits,
        redisErrors: library.redisErrors,
        nearHits: library.nearHits,
      },
    };
  }
}

@Module({})
class HttpSubjectModule {}

/** The builds that say how each response was served: the headers as the catalog sets them. */
@Module({})
class HttpSubjectWithStatusModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CacheStatusMiddleware).forRoutes('products');
  }
}

export function httpSubjectModule(config: HttpSubjectConfig): DynamicModule {
  // The catalog's own config loader, so the database settings are the catalog's.
  const catalog = loadCatalogConfig({ ...catalogDatabaseEnv(config.database), DEMO_SEED: 'false' });
  const controllers: Record<HttpSubjectKind, Type> = {
    none: NoCacheController,
    'cache-manager': CacheManagerController,
    ours: OursController,
    'ours-no-header': OursWithoutHeaderController,
    // With X-Cache, as the catalog serves it: the near cache is the only difference from `ours`.
    'ours-near': OursController,
    'ours-near-no-header': OursWithoutHeaderController,
    ceiling: CeilingController,
  };
  const cache: DynamicModule[] =
    config.kind === 'cache-manager'
      ? [
          CacheModule.register({
            stores: [createKeyv(config.redisUrl, { namespace: config.keyPrefix })],
            ttl: config.ttlSeconds * 1000,
          }),
        ]
      : usesOurLibrary(config.kind)
        ? [
            CacheAsideModule.forRoot({
              redis: config.redisUrl,
              keyPrefix: config.keyPrefix,
              defaultTtlSeconds: config.ttlSeconds,
              // Its defaults (10,000 entries, 64 MiB, 60 s at most, copies on every hit).
              ...(config.kind.startsWith('ours-near') ? { nearCache: true } : {}),
            }),
          ]
        : [];
  const withStatus = config.kind === 'ours' || config.kind === 'ours-near';
  return {
    module: withStatus ? HttpSubjectWithStatusModule : HttpSubjectModule,
    imports: [
      CatalogConfigModule.forRoot(catalog),
      DatabaseModule,
      TypeOrmModule.forFeature([Product, Review]),
      ...cache,
    ],
    controllers: [controllers[config.kind], BenchStatsController],
    providers: [
      ProductViews,
      XCacheTally,
      ...(usesOurLibrary(config.kind) ? [CachedProductViews] : []),
      ...(config.kind === 'ceiling' ? [FixedProductView] : []),
    ],
  };
}
