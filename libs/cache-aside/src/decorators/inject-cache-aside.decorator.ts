import { Inject } from '@nestjs/common';
import { getCacheAsideToken } from '../cache-aside.tokens';

/**
 * Injects the `CacheAsideService` of a named cache (`forRoot({ name })`):
 * `constructor(@InjectCacheAside('sessions') sessions: CacheAsideService)`. Without a
 * name, the default cache's (the same as injecting `CacheAsideService` by class).
 */
export const InjectCacheAside = (name?: string): PropertyDecorator & ParameterDecorator =>
  Inject(getCacheAsideToken(name));
