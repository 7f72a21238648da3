import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import {
  CACHE_ASIDE_OPTIONS,
  CACHEABLE_METADATA,
  CACHE_EVICT_METADATA,
  CACHE_PATCH_METADATA,
  DEFAULT_CACHE_NAME,
} from './cache-aside.constants';
import { CacheAsideService } from './cache-aside.service';
import { bindCache, unbindCache } from './cache-binding';
import { CacheOptionsError } from './errors/cache-options.error';
import type { ResolvedModuleOptions } from './resolve-module-options';

/**
 * Finds the providers and controllers with decorated methods and binds them to
 * this module's service. The decorators wrapped the methods already (at class
 * definition), so routes and `this.method()` calls are covered; binding the
 * prototype too makes request-scoped and transient instances work. Closing the
 * application takes the bindings back, so a class doesn't keep caching through a
 * closed module (a later test module that doesn't import the cache).
 */
@Injectable()
export class CacheAsideExplorer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('CacheAside');
  private readonly cacheName = DEFAULT_CACHE_NAME;
  /** Prototypes and instances this module bound, to unbind at shutdown. */
  private readonly bound: object[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly service: CacheAsideService,
    @Inject(CACHE_ASIDE_OPTIONS) private readonly options: ResolvedModuleOptions,
  ) {}

  onModuleInit(): void {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) {
      const metatype = wrapper.metatype as { prototype?: object; name?: string } | undefined;
      const prototype = wrapper.instance
        ? Object.getPrototypeOf(wrapper.instance)
        : metatype?.prototype;
      if (!prototype || !this.hasCachedMethods(prototype)) continue;
      this.checkProfiles(prototype);
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

  /** A profile name that doesn't exist fails the start-up, not the first request. */
  private checkProfiles(prototype: object): void {
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const method = (prototype as Record<string, unknown>)[name];
      if (typeof method !== 'function') continue;
      const options = Reflect.getMetadata(CACHEABLE_METADATA, method) as
        { profile?: string } | undefined;
      if (options?.profile && !(options.profile in this.options.profiles)) {
        const known = Object.keys(this.options.profiles).join(', ') || 'none';
        throw new CacheOptionsError(
          `${prototype.constructor.name}.${name}: unknown cache profile '${options.profile}'; the module defines: ${known}`,
        );
      }
    }
  }

  private hasCachedMethods(prototype: object): boolean {
    return this.scanner.getAllMethodNames(prototype).some((name) => {
      const method = (prototype as Record<string, unknown>)[name];
      return (
        typeof method === 'function' &&
        (Reflect.hasMetadata(CACHEABLE_METADATA, method) ||
          Reflect.hasMetadata(CACHE_EVICT_METADATA, method) ||
          Reflect.hasMetadata(CACHE_PATCH_METADATA, method))
      );
    });
  }
}
