import { cacheKey } from 'nest-cache-aside';

// Templates for decorators and functions for code build the same keys and tags (the library
// encodes a placeholder's value exactly like a cacheKey part), so a tag a page joined through
// its template is the one a write invalidates by name.

/** A product's view, by the id in the first argument: `product:<id>`. */
export const PRODUCT_KEY = 'product:{0}';

/** One page of a category: (category, page, limit). */
export const CATEGORY_PAGE_KEY = 'products:{0}:page:{1}:{2}';

/** The tag every page of a category joins, by the category in the first argument. */
export const CATEGORY_TAG = 'category:{0}';

export function productKey(id: number): string {
  return cacheKey('product', id);
}

export function categoryTag(category: string): string {
  return cacheKey('category', category);
}
