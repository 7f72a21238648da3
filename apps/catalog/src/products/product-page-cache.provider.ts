import type { Provider } from '@nestjs/common';
import { Cacheable } from '@app/cache-aside';
import { CATALOG_CONFIG, type CatalogConfig } from '../config/catalog-config';
import type { ProductPage } from './dto/product-page.dto';
import { ProductsService } from './products.service';

/** Category pages through the cache: what GET /products lists from. */
export abstract class ProductPageCache {
  abstract findPage(category: string, page: number, limit: number): Promise<ProductPage>;
}

/**
 * Decorator arguments are fixed when a class is defined, and the page TTL only comes with
 * the config the app is built from, so the cached class is defined per app, in its factory.
 */
function createProductPageCache(config: CatalogConfig, products: ProductsService) {
  const { pageTtlSeconds } = config.cache;

  class CachedProductPages extends ProductPageCache {
    // Writes don't evict pages yet (evicting every page of a category needs tag
    // invalidation, planned): a page may lag behind a write by up to pageTtlSeconds
    // (CACHE_PAGE_TTL_SECONDS). Grace is off here so that bound holds.
    @Cacheable({ key: 'products:{0}:page:{1}:{2}', ttlSeconds: pageTtlSeconds, graceSeconds: 0 })
    findPage(category: string, page: number, limit: number): Promise<ProductPage> {
      return products.findPage(category, page, limit);
    }
  }

  return new CachedProductPages();
}

export const productPageCacheProvider: Provider = {
  provide: ProductPageCache,
  useFactory: createProductPageCache,
  inject: [CATALOG_CONFIG, ProductsService],
};
