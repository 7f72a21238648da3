import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, Max, Min, ValidateIf } from 'class-validator';
import { INT32_MAX } from '../../common/int32';

/**
 * The most concurrent reads one stampede fires: enough to show the point, bounded, with one
 * run at a time per instance (DemoStampedeService), so one client can't queue more loads.
 */
export const MAX_STAMPEDE_READS = 1000;

export class StampedeRequestDto {
  @ApiProperty({ example: 1, minimum: 1, maximum: INT32_MAX, description: 'Product id' })
  @IsInt()
  @Min(1)
  @Max(INT32_MAX)
  id: number;

  @ApiPropertyOptional({
    example: 200,
    minimum: 1,
    maximum: MAX_STAMPEDE_READS,
    default: 200,
    description: 'Concurrent reads fired at the key right after it is evicted',
  })
  // ValidateIf rather than IsOptional: IsOptional also passes null, which ran 0 reads.
  @ValidateIf((_dto, value) => value !== undefined)
  @IsInt()
  @Min(1)
  @Max(MAX_STAMPEDE_READS)
  n: number = 200;

  @ApiPropertyOptional({
    default: true,
    description:
      'false: the reads use `stampedeProtection: false` (get, load on a miss, set) for this run',
  })
  // Likewise: null passed IsOptional and, being falsy, ran the reads unprotected.
  @ValidateIf((_dto, value) => value !== undefined)
  @IsBoolean()
  protection: boolean = true;
}
