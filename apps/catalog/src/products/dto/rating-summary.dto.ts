import { ApiProperty } from '@nestjs/swagger';

export class RatingSummary {
  @ApiProperty({ example: 10 })
  count: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 3.7,
    description: 'Mean rating rounded to two decimals; null when there are no reviews',
  })
  average: number | null;
}
