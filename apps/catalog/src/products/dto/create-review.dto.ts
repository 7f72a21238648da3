import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { NoControlCharacters } from '../../common/no-control-characters.decorator';
import { NotWhitespaceOnly } from '../../common/not-whitespace-only.decorator';

export class CreateReviewDto {
  @ApiProperty({ example: 4, minimum: 1, maximum: 5 })
  @IsInt()
  @Min(1)
  @Max(5)
  rating: number;

  @ApiProperty({ example: 'Bright enough to read by.', maxLength: 2000 })
  @IsString()
  @NotWhitespaceOnly()
  @NoControlCharacters()
  @MaxLength(2000)
  body: string;
}
