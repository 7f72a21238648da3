import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CacheAsideService, CacheEvict, CachePatch, Cacheable } from 'nest-cache-aside';
import { CATEGORY_PAGE_PROFILE } from '../cache/cache-profiles.constants';
import { isForeignKeyViolation, isUniqueViolation } from '../database/constraint-violation';
import { deleteByIdReturning } from '../database/delete-returning';
import type { CreateProductDto } from './dto/create-product.dto';
import type { CreateReviewDto } from './dto/create-review.dto';
import type { PatchProductDto } from './dto/patch-product.dto';
import type { ProductPage } from './dto/product-page.dto';
import type { ProductView } from './dto/product-view.dto';
import type { ReplaceProductDto } from './dto/replace-product.dto';
import type { ReviewView } from './dto/review-view.dto';
import {
  CATEGORY_PAGE_KEY,
  CATEGORY_TAG,
  categoryTag,
  PRODUCT_KEY,
  productKey,
} from './product-cache.keys';
import { Product } from './product.entity';
import { queryProductView } from './product-view.query';
import { toProductSummary, toRatingSummary, toReviewView } from './product-response.mapper';
import { Review } from './review.entity';

/** A PUT that keeps losing the race against other writers of the row gives up with a 409. */
const REPLACE_ATTEMPTS = 5;

/**
 * One public method per cacheable read (findViewOrNull, findPage) and one per write, each
 * taking plain arguments, so cache decorators can derive keys from the arguments (or the
 * result). What only the row knows, the category a write took a product out of, is
 * invalidated inside the write. Writes never call findViewOrNull: they read through
 * loadView, so they neither re-enter the cache mid-write nor fill it with a view their own
 * eviction is about to drop.
 */
@Injectable()
export class ProductsService {
  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    @InjectRepository(Review) private readonly reviews: Repository<Review>,
    private readonly cache: CacheAsideService,
  ) {}

  /** The product and its rating summary, in one SQL statement (none on a cache hit). */
  async findView(id: number): Promise<ProductView> {
    const view = await this.findViewOrNull(id);
    if (!view) throw productNotFound(id);
    return view;
  }

  // Null rather than a NotFoundException for an unknown id: the cache never stores errors,
  // and "no such product" must be stored (for CACHE_NOT_FOUND_TTL_SECONDS), or a flood of
  // requests for one unknown id would each reach the database.
  // A hash (a field per property) so that a PATCH rewrites only the fields it changed and the
  // rating summary, which only a query over the reviews gives, stays as loaded. A null result
  // is stored whole; the library deletes rather than patches such an entry.
  @Cacheable({ key: PRODUCT_KEY, storage: 'hash' })
  async findViewOrNull(id: number): Promise<ProductView | null> {
    return this.loadView(id);
  }

  /**
   * One page of a category ordered by id; two statements (rows and total). Every write that
   * can change a page of the category invalidates its tag, so CACHE_PAGE_TTL_SECONDS only
   * bounds changes made behind the app's back (or invalidations Redis failed to take).
   */
  @Cacheable({ key: CATEGORY_PAGE_KEY, profile: CATEGORY_PAGE_PROFILE, tags: [CATEGORY_TAG] })
  async findPage(category: string, page: number, limit: number): Promise<ProductPage> {
    const [rows, total] = await this.products.findAndCount({
      where: { category },
      order: { id: 'ASC' },
      skip: (page - 1) * limit,
      take: limit,
    });
    return {
      items: rows.map(toProductSummary),
      category,
      page,
      limit,
      total,
      totalPages: Math.ceil(total / limit),
    };
  }

  // The id comes from the insert: a read of it may have cached "no such product" just before
  // (ids are sequential, so easy to guess), and that entry must go.
  @CacheEvict({
    keysFromResult: (view: ProductView) => productKey(view.id),
    tags: 'category:{0.category}',
  })
  async create(dto: CreateProductDto): Promise<ProductView> {
    const product = this.products.create({ ...dto, description: dto.description ?? '' });
    // insert() fills the generated id and timestamps into `product`, so no read-back is needed.
    await this.withSkuConflict(dto.sku, () => this.products.insert(product));
    return { ...toProductSummary(product), rating: toRatingSummary(0, null) };
  }

  @CacheEvict(PRODUCT_KEY)
  async replace(id: number, dto: ReplaceProductDto): Promise<ProductView> {
    const previousCategory = await this.replaceRow(id, dto);
    // Pages of the category the product left and of the one it joined (the same one, most
    // often: the library drops the duplicate). Here rather than in @CacheEvict's `tags`,
    // which only see the arguments, not the row.
    await this.cache.invalidateTags(categoryTag(previousCategory), categoryTag(dto.category));
    return this.loadExistingView(id);
  }

  /**
   * Changes price and/or stock; fields left undefined keep their value. The cached view is
   * updated in place (see patchedFields) rather than evicted, so the next read is still a hit.
   * Two PATCHes of one product racing can reach Redis in the other order than the database:
   * the patch carries the row's version and applies only over an older one, so the older
   * write can't end up cached.
   */
  @CachePatch<ProductView>({
    key: PRODUCT_KEY,
    fields: (view, _id: number, changes: PatchProductDto) => patchedFields(view, changes),
    version: 'version',
  })
  async patch(id: number, changes: PatchProductDto): Promise<ProductView> {
    const values: Partial<Pick<Product, 'priceCents' | 'stock'>> = {};
    if (changes.priceCents !== undefined) values.priceCents = changes.priceCents;
    if (changes.stock !== undefined) values.stock = changes.stock;
    if (Object.keys(values).length > 0) {
      const result = await this.products.update({ id }, values);
      if (!result.affected) throw productNotFound(id);
    }
    // Read back for the response and for updated_at, which the database sets; the category
    // comes with it, so invalidating the pages (they list price and stock) costs no query.
    const view = await this.loadExistingView(id);
    await this.cache.invalidateTags(categoryTag(view.category));
    return view;
  }

  /** Deletes the product; its reviews go with it through the foreign key's ON DELETE CASCADE. */
  @CacheEvict(PRODUCT_KEY)
  async remove(id: number): Promise<void> {
    // RETURNING: the category whose pages listed the product, without a read before the delete.
    const deleted = await deleteByIdReturning(this.products, id, ['category']);
    if (!deleted) throw productNotFound(id);
    await this.cache.invalidateTags(categoryTag(deleted.category));
  }

  // The cached view carries the rating summary; pages don't (see ProductPage), so they stay.
  @CacheEvict(PRODUCT_KEY)
  async addReview(productId: number, dto: CreateReviewDto): Promise<ReviewView> {
    const review = this.reviews.create({ productId, rating: dto.rating, body: dto.body });
    try {
      await this.reviews.insert(review);
    } catch (error) {
      // The foreign key proves the product exists without a read before the insert.
      if (isForeignKeyViolation(error)) throw productNotFound(productId);
      throw error;
    }
    return toReviewView(review);
  }

  /**
   * Writes the replacement and returns the category the row had until then. The update only
   * applies while the row still has the category just read: if another PUT moved the product
   * in between, it matches nothing and we read again. Otherwise the category in between
   * would never be invalidated, and its pages would list the product until their TTL.
   */
  private async replaceRow(id: number, dto: ReplaceProductDto): Promise<string> {
    const values = { ...dto, description: dto.description ?? '' };
    for (let attempt = 1; attempt <= REPLACE_ATTEMPTS; attempt++) {
      const current = await this.products.findOne({ select: { category: true }, where: { id } });
      if (!current) throw productNotFound(id);
      const { category } = current;
      const result = await this.withSkuConflict(dto.sku, () =>
        this.products.update({ id, category }, values),
      );
      if (result.affected) return category;
    }
    throw new ConflictException(`Product ${id} keeps changing; try again`);
  }

  private async loadExistingView(id: number): Promise<ProductView> {
    const view = await this.loadView(id);
    if (!view) throw productNotFound(id);
    return view;
  }

  /** The view straight from the database, never the cache (what a miss loads). */
  loadView(id: number): Promise<ProductView | null> {
    return queryProductView(this.products, id);
  }

  private async withSkuConflict<T>(sku: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictException(`A product with sku "${sku}" already exists`);
      }
      throw error;
    }
  }
}

/**
 * The cached view's fields a PATCH changed, with the values the database now has. Only
 * those: the rating summary and the rest stay as cached, which is what makes a patch cheaper
 * than a reload.
 */
function patchedFields(view: ProductView, changes: PatchProductDto): Partial<ProductView> {
  const fields: Partial<ProductView> = { updatedAt: view.updatedAt };
  if (changes.priceCents !== undefined) fields.priceCents = view.priceCents;
  if (changes.stock !== undefined) fields.stock = view.stock;
  return fields;
}

function productNotFound(id: number): NotFoundException {
  return new NotFoundException(`Product ${id} not found`);
}
