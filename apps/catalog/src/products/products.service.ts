import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
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

/**
 * One public method per cacheable read (findView, findPage) and one per write, each taking
 * plain arguments, so cache decorators can derive keys from the arguments alone. Writes never
 * call findView: they read through loadView so a wrapped findView is not re-entered mid-write.
 */
@Injectable()
export class ProductsService {
  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    @InjectRepository(Review) private readonly reviews: Repository<Review>,
  ) {}

  /** The product and its rating summary, in one SQL statement. */
  async findView(id: number): Promise<ProductView> {
    return this.loadView(id);
  }

  /** One page of a category ordered by id; two statements (rows and total). */
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
    return { ...toProductSummary(product), rating: toRatingSummary(0, null) };
  }

  async replace(id: number, dto: ReplaceProductDto): Promise<ProductView> {
    const result = await this.withSkuConflict(dto.sku, () =>
      this.products.update({ id }, { ...dto, description: dto.description ?? '' }),
    );
    if (!result.affected) throw productNotFound(id);
    return this.loadView(id);
  }

  /** Changes price and/or stock; fields left undefined keep their value. */
  async patch(id: number, changes: PatchProductDto): Promise<ProductView> {
    const values: Partial<Pick<Product, 'priceCents' | 'stock'>> = {};
    if (changes.priceCents !== undefined) values.priceCents = changes.priceCents;
    if (changes.stock !== undefined) values.stock = changes.stock;
    if (Object.keys(values).length > 0) {
      const result = await this.products.update({ id }, values);
      if (!result.affected) throw productNotFound(id);
    }
    return this.loadView(id);
  }

  /** Deletes the product; its reviews go with it through the foreign key's ON DELETE CASCADE. */
  async remove(id: number): Promise<void> {
    const result = await this.products.delete({ id });
    if (!result.affected) throw productNotFound(id);
  }

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

  private async loadView(id: number): Promise<ProductView> {
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
    if (!product) throw productNotFound(id);
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
