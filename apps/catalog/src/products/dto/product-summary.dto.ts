import { ApiProperty } from '@nestjs/swagger';

/**
 * A product as the API returns it. Dates are ISO strings rather than Date objects so the
 * value is plain JSON: a cached copy then comes back identical to a freshly loaded one.
 */
export class ProductSummary {
  @ApiProperty({ example: 1 })
  id: number;

  @ApiProperty({ example: 'DEMO-0000001' })
  sku: string;

  @ApiProperty({ example: 'Walnut desk lamp' })
  name: string;

  @ApiProperty({ example: 'Warm light, solid walnut base.' })
  description: string;

  @ApiProperty({ example: 'home' })
  category: string;

  @ApiProperty({ example: 4999, description: 'Price in cents' })
  priceCents: number;

  @ApiProperty({ example: 12 })
  stock: number;

  @ApiProperty({ example: '2025-11-26T07:00:00.000Z', format: 'date-time' })
  createdAt: string;

  @ApiProperty({ example: '2025-11-26T07:00:00.000Z', format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ example: 3, description: 'Raised by every write of the product' })
  version: number;
}
