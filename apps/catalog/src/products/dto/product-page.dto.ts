import { ApiProperty } from '@nestjs/swagger';
import { ProductSummary } from './product-summary.dto';

/**
 * Page items carry no rating summary on purpose: a new review then only changes its
 * product's view, not every page listing that product.
 */
export class ProductPage {
  @ApiProperty({ type: [ProductSummary] })
  items: ProductSummary[];

  @ApiProperty({ example: 'books' })
  category: string;

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 20 })
  limit: number;

  @ApiProperty({ example: 200, description: 'Products in the category' })
  total: number;

  @ApiProperty({ example: 10 })
  totalPages: number;
}
