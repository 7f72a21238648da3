import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CacheAsideService, CacheEvict, Cacheable, cacheKey } from '@app/cache-aside';
import { isForeignKeyViolation, isUniqueViolation } from '../database/constraint-violation';
import type { CreateProductDto } from './dto/create-product.dto';
import type { CreateReviewDto } from './dto/create-review.dto';
import type { PatchProductDto } from './dto/patch-product.dto';
import type { ProductPage } from './dto/product-page.dto';
import type { ProductView } from './dto/product-view.dto';
import type { ReplaceProductDto } from './dto/replace-product.dto';
import type { ReviewView } from './dto/review-view.dto';
import { Product } from './product.entity';
import { toProductSummary, toRatingSummary, toReviewView } from './product-response.mapper';
import { Review } from './review.entity';

/** Where a product's view is cached: `product:<id>`, as `cacheKey('product', id)` also builds. */
const PRODUCT_KEY = 'product:{0}';

/**
 * One public method per cacheable read (findViewOrNull, findPage) and one per write, each
 * taking plain arguments, so cache decorators can derive keys from the arguments alone.
 * Writes never call findViewOrNull: they read through loadView, so they neither re-enter
 * the cache mid-write nor fill it with a view their own eviction is about to drop.
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
  @Cacheable(PRODUCT_KEY)
  async findViewOrNull(id: number): Promise<ProductView | null> {
    return this.loadView(id);
  }

  /**
   * One page of a category ordered by id; two statements (rows and total). Cached by
   * ProductPageCache, not here: its TTL comes from the config, which decorators on this
   * class can't see.
   */
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

  async create(dto: CreateProductDto): Promise<ProductView> {
    const product = this.products.create({ ...dto, description: dto.description ?? '' });
    // insert() fills the generated id and timestamps into `product`, so no read-back is needed.
    await this.withSkuConflict(dto.sku, () => this.products.insert(product));
    // A read of the new id may have cached "no such product" just before the insert (ids
    // are sequential, so easy to guess). The key comes from the insert's result, which
    // @CacheEvict can't express; awaiting the eviction keeps the decorator's promise that
    // a read after this response sees the row.
    await this.cache.del(cacheKey('product', product.id));
    return { ...toProductSummary(product), rating: toRatingSummary(0, null) };
  }

  @CacheEvict(PRODUCT_KEY)
  async replace(id: number, dto: ReplaceProductDto): Promise<ProductView> {
    const result = await this.withSkuConflict(dto.sku, () =>
      this.products.update({ id }, { ...dto, description: dto.description ?? '' }),
    );
    if (!result.affected) throw productNotFound(id);
    return this.loadExistingView(id);
  }

  /** Changes price and/or stock; fields left undefined keep their value. */
  // Evicts the whole view for now; updating the cached entry in place is planned.
  @CacheEvict(PRODUCT_KEY)
  async patch(id: number, changes: PatchProductDto): Promise<ProductView> {
    const values: Partial<Pick<Product, 'priceCents' | 'stock'>> = {};
    if (changes.priceCents !== undefined) values.priceCents = changes.priceCents;
    if (changes.stock !== undefined) values.stock = changes.stock;
    if (Object.keys(values).length > 0) {
      const result = await this.products.update({ id }, values);
      if (!result.affected) throw productNotFound(id);
    }
    return this.loadExistingView(id);
  }

  /** Deletes the product; its reviews go with it through the foreign key's ON DELETE CASCADE. */
  @CacheEvict(PRODUCT_KEY)
  async remove(id: number): Promise<void> {
    const result = await this.products.delete({ id });
    if (!result.affected) throw productNotFound(id);
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

  private async loadExistingView(id: number): Promise<ProductView> {
    const view = await this.loadView(id);
    if (!view) throw productNotFound(id);
    return view;
  }

  private async loadView(id: number): Promise<ProductView | null> {
    const { entities, raw } = await this.products
      .createQueryBuilder('product')
      .addSelect(
        (sub) =>
          sub.select('COUNT(*)').from(Review, 'review').where('review.productId = product.id'),
        'rating_count',
      )
      .addSelect(
        (sub) =>
          sub
            .select('AVG(review.rating)')
            .from(Review, 'review')
            .where('review.productId = product.id'),
        'rating_average',
      )
      .where('product.id = :id', { id })
      .getRawAndEntities<{ rating_count: unknown; rating_average: unknown }>();
    const [product] = entities;
    if (!product) return null;
    return {
      ...toProductSummary(product),
      rating: toRatingSummary(raw[0]?.rating_count, raw[0]?.rating_average),
    };
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

function productNotFound(id: number): NotFoundException {
  return new NotFoundException(`Product ${id} not found`);
}
