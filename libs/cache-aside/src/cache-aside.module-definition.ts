import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CacheAsideModuleOptions } from './interfaces';

export const {
  ConfigurableModuleClass: ConfigurableCacheAsideModule,
  MODULE_OPTIONS_TOKEN: CACHE_ASIDE_MODULE_OPTIONS,
  OPTIONS_TYPE: CACHE_ASIDE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CACHE_ASIDE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CacheAsideModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
