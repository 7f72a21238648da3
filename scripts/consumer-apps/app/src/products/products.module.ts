import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { CacheAsideModule } from 'nest-cache-aside';
import { ProductsController } from './products.controller.js';
import { ProductsService } from './products.service.js';

@Module({
  imports: [
    ConfigModule.forRoot(),
    CacheAsideModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        redis: config.get<string>('REDIS_URL', 'redis://127.0.0.1:6379'),
        keyPrefix: config.get<string>('CACHE_KEY_PREFIX', 'shop'),
        defaultTtlSeconds: 60,
      }),
    }),
  ],
  controllers: [ProductsController],
  providers: [ProductsService],
})
export class ProductsModule {}
