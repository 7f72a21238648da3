import { ApiProperty } from '@nestjs/swagger';
import { ProductSummary } from './product-summary.dto';
import { RatingSummary } from './rating-summary.dto';

/** One product with its review summary: the read GET /products/:id serves. */
export class ProductView extends ProductSummary {
  @ApiProperty({ type: RatingSummary })
  rating: RatingSummary;
}
