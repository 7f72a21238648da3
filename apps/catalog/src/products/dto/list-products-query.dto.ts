import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';
import { NoControlCharacters } from '../../common/no-control-characters.decorator';
import { NotWhitespaceOnly } from '../../common/not-whitespace-only.decorator';

/**
 * Page sizes a client may ask for. A fixed set, not a range: each (page, limit) pair is its
 * own cached entry, so a range would let clients fill Redis with variants of one category.
 */
export const PAGE_LIMITS = [1, 2, 5, 10, 20, 50, 100] as const;

export class ListProductsQueryDto {
  // Required: pages are per category, which keeps every page query on the category index.
  @ApiProperty({ example: 'books', maxLength: 100 })
  @IsString()
  @IsNotEmpty()
  @NotWhitespaceOnly()
  @NoControlCharacters()
  @MaxLength(100)
  category: string;

  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: 100_000 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  page: number = 1;

  @ApiPropertyOptional({ default: 20, enum: PAGE_LIMITS })
  @Type(() => Number)
  @IsIn(PAGE_LIMITS, { message: `limit must be one of ${PAGE_LIMITS.join(', ')}` })
  limit: number = 20;
}
