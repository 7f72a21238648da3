import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsInt,
  IsNotEmpty,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { INT32_MAX } from '../../common/int32';
import { NoControlCharacters } from '../../common/no-control-characters.decorator';
import { NotWhitespaceOnly } from '../../common/not-whitespace-only.decorator';

export class CreateProductDto {
  @ApiProperty({ example: 'DEMO-0000001', maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, {
    message: 'sku must start with a letter or digit and contain only letters, digits, _ and -',
  })
  @MaxLength(64)
  sku: string;

  @ApiProperty({ example: 'Walnut desk lamp', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @NotWhitespaceOnly()
  @NoControlCharacters()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ example: 'Warm light, solid walnut base.', maxLength: 5000, default: '' })
  // ValidateIf rather than IsOptional: IsOptional would also let null through to a NOT NULL column.
  @ValidateIf((_dto, value) => value !== undefined)
  @IsString()
  @NotWhitespaceOnly()
  @NoControlCharacters()
  @MaxLength(5000)
  description?: string;

  @ApiProperty({ example: 'home', maxLength: 100 })
  @IsString()
  @IsNotEmpty()
  @NotWhitespaceOnly()
  @NoControlCharacters()
  @MaxLength(100)
  category: string;

  @ApiProperty({ example: 4999, minimum: 0, maximum: INT32_MAX, description: 'Price in cents' })
  @IsInt()
  @Min(0)
  @Max(INT32_MAX)
  priceCents: number;

  @ApiProperty({ example: 12, minimum: 0, maximum: INT32_MAX })
  @IsInt()
  @Min(0)
  @Max(INT32_MAX)
  stock: number;
}
