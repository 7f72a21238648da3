import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import { INT32_MAX } from '../../common/int32';

/**
 * Only the fields that change often (price and stock) are patchable; the controller
 * rejects a body with neither, which class-validator cannot express on one property.
 */
export class PatchProductDto {
  @ApiPropertyOptional({
    example: 3999,
    minimum: 0,
    maximum: INT32_MAX,
    description: 'Price in cents',
  })
  @ValidateIf((_dto, value) => value !== undefined)
  @IsInt()
  @Min(0)
  @Max(INT32_MAX)
  priceCents?: number;

  @ApiPropertyOptional({ example: 7, minimum: 0, maximum: INT32_MAX })
  @ValidateIf((_dto, value) => value !== undefined)
  @IsInt()
  @Min(0)
  @Max(INT32_MAX)
  stock?: number;
}
