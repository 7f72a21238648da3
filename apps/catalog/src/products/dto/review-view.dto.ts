import { ApiProperty } from '@nestjs/swagger';

export class ReviewView {
  @ApiProperty({ example: 1 })
  id: number;

  @ApiProperty({ example: 1 })
  productId: number;

  @ApiProperty({ example: 4 })
  rating: number;

  @ApiProperty({ example: 'Bright enough to read by.' })
  body: string;

  @ApiProperty({ example: '2025-11-26T07:00:00.000Z', format: 'date-time' })
  createdAt: string;
}
