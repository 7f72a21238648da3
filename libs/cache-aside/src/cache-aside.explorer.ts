import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import {
  CACHE_ASIDE_BINDING,
  CACHE_ASIDE_OPTIONS,
  CACHEABLE_METADATA,
  CACHE_EVICT_METADATA,
  CACHE_PATCH_METADATA,
} from './cache-aside.constants';
import { CacheAsideService } from './cache-aside.service';
import { CacheOptionsError } from './errors/cache-options.error';
import type { ResolvedModuleOptions } from './resolve-module-options';

/**
 * Finds the providers and controllers with decorated methods and binds them to
 * this module's service. The decorators wrapped the methods already (at class
 * definition), so routes and `this.method()` calls are covered; binding the
 * prototype too makes request-scoped and transient instances work.
 */
@Injectable()
export class CacheAsideExplorer implements OnModuleInit {
  private readonly logger = new Logger('CacheAside');

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
      bind(prototype, this.service);
      if (wrapper.isDependencyTreeStatic() && wrapper.instance) {
        bind(wrapper.instance, this.service);
      } else {
        this.logger.log(
          `${metatype?.name ?? wrapper.name}: request-scoped or transient, cached through its class`,
        );
      }
    }
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

function bind(target: object, service: CacheAsideService): void {
  Object.defineProperty(target, CACHE_ASIDE_BINDING, {
    value: service,
    configurable: true,
    writable: true,
    enumerable: false,
  });
}
