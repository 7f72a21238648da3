import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import {
  CACHE_ASIDE_NAME,
  CACHE_ASIDE_OPTIONS,
  CACHE_ASIDE_SERVICE,
  CACHEABLE_METADATA,
  CACHE_EVICT_METADATA,
  CACHE_PATCH_METADATA,
  DEFAULT_CACHE_NAME,
} from './cache-aside.constants';
import type { CacheAsideService } from './cache-aside.service';
import { bindCache, unbindCache } from './cache-binding';
import { CacheInstanceNameError } from './errors/cache-instance-name.error';
import { CacheOptionsError } from './errors/cache-options.error';
import type { ResolvedModuleOptions } from './resolve-module-options';

const METADATA_KEYS = [CACHEABLE_METADATA, CACHE_EVICT_METADATA, CACHE_PATCH_METADATA];

/** A decorated method and the caches its decorators name. */
interface CachedMethod {
  name: string;
  caches: Set<string>;
  profile?: string;
}

/**
 * Finds the providers and controllers with decorated methods naming this module's
 * cache and binds them to this module's service. The decorators wrapped the methods
 * already (at class definition), so routes and `this.method()` calls are covered;
 * binding the prototype too makes request-scoped and transient instances work.
 * Closing the application takes the bindings back, so a class doesn't keep caching
 * through a closed module (a later test module that doesn't import the cache).
 */
@Injectable()
export class CacheAsideExplorer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('CacheAside');
  /** Prototypes and instances this module bound, to unbind at shutdown. */
  private readonly bound: object[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(CACHE_ASIDE_SERVICE) private readonly service: CacheAsideService,
    @Inject(CACHE_ASIDE_OPTIONS) private readonly options: ResolvedModuleOptions,
    @Inject(CACHE_ASIDE_NAME) readonly cacheName: string,
  ) {}

  onModuleInit(): void {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    const defined = this.checkCacheNames(wrappers.map((wrapper) => wrapper.instance));
    for (const wrapper of wrappers) {
      const metatype = wrapper.metatype as { prototype?: object; name?: string } | undefined;
      const prototype = wrapper.instance
        ? Object.getPrototypeOf(wrapper.instance)
        : metatype?.prototype;
      if (!prototype) continue;
      const methods = this.cachedMethods(prototype);
      this.checkMethodCaches(prototype, methods, defined);
      const ours = methods.filter((method) => method.caches.has(this.cacheName));
      if (ours.length === 0) continue;
      this.checkProfiles(prototype, ours);
      this.bind(prototype);
      if (wrapper.isDependencyTreeStatic() && wrapper.instance) {
        this.bind(wrapper.instance);
      } else {
        this.logger.log(
          `${metatype?.name ?? wrapper.name}: request-scoped or transient, cached through its class`,
        );
      }
    }
  }

  onModuleDestroy(): void {
    for (const target of this.bound.splice(0)) unbindCache(target, this.cacheName, this.service);
  }

  private bind(target: object): void {
    bindCache(target, this.cacheName, this.service);
    this.bound.push(target);
  }

  /**
   * The cache names this application defines (one explorer per module instance).
   * Two modules with one name would each bind the same methods, the last one
   * silently winning: refused.
   */
  private checkCacheNames(instances: unknown[]): Set<string> {
    const names = instances
      .filter((instance): instance is CacheAsideExplorer => instance instanceof CacheAsideExplorer)
      .map((explorer) => explorer.cacheName);
    if (names.filter((name) => name === this.cacheName).length > 1) {
      const which =
        this.cacheName === DEFAULT_CACHE_NAME
          ? 'Two CacheAsideModule.forRoot/forRootAsync imports define the default (unnamed) cache'
          : `Two CacheAsideModule.forRoot/forRootAsync imports define the cache named '${this.cacheName}'`;
      throw new CacheInstanceNameError(
        `${which}, with different options. Import the module once (isGlobal: true shares it with ` +
          `every module), or give each cache its own name: forRoot({ name: 'sessions', ... }), ` +
          `picked with @Cacheable({ key, cache: 'sessions' }) and injected with @InjectCacheAside('sessions')`,
      );
    }
    return new Set(names);
  }

  /** A method naming a cache no module defines fails the start-up, not its first call. */
  private checkMethodCaches(prototype: object, methods: CachedMethod[], defined: Set<string>) {
    for (const method of methods) {
      for (const cache of method.caches) {
        if (defined.has(cache)) continue;
        const known = [...defined].map((name) => `'${name}'`).join(', ');
        const site = `${prototype.constructor.name}.${method.name}`;
        throw new CacheInstanceNameError(
          cache === DEFAULT_CACHE_NAME
            ? `${site} uses the default cache (its decorator names none), which no CacheAsideModule ` +
                `defines (this application has: ${known}); import CacheAsideModule.forRoot({ ... }) ` +
                `without a name, or pick one of those with { cache: '<name>' }`
            : `${site} uses the cache '${cache}', which no CacheAsideModule defines (this ` +
                `application has: ${known}); import CacheAsideModule.forRoot({ name: '${cache}', ... }) ` +
                `or name one of those`,
        );
      }
    }
  }

  /** A profile name that doesn't exist fails the start-up, not the first request. */
  private checkProfiles(prototype: object, methods: CachedMethod[]): void {
    for (const method of methods) {
      if (method.profile && !(method.profile in this.options.profiles)) {
        const known = Object.keys(this.options.profiles).join(', ') || 'none';
        throw new CacheOptionsError(
          `${prototype.constructor.name}.${method.name}: unknown cache profile '${method.profile}'; the module defines: ${known}`,
        );
      }
    }
  }

  private cachedMethods(prototype: object): CachedMethod[] {
    const methods: CachedMethod[] = [];
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const method = (prototype as Record<string, unknown>)[name];
      if (typeof method !== 'function') continue;
      const found = METADATA_KEYS.map(
        (key) =>
          Reflect.getMetadata(key, method) as { cache?: string; profile?: string } | undefined,
      ).filter((options) => options !== undefined);
      if (found.length === 0) continue;
      methods.push({
        name,
        caches: new Set(found.map((options) => options.cache ?? DEFAULT_CACHE_NAME)),
        profile: (
          Reflect.getMetadata(CACHEABLE_METADATA, method) as { profile?: string } | undefined
        )?.profile,
      });
    }
    return methods;
  }
}
