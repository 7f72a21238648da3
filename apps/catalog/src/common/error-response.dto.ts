import { ApiProperty } from '@nestjs/swagger';

/** Shape of every error body Nest's exception layer sends; documented once for all routes. */
export class ErrorResponse {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['limit must not be greater than 100'],
  })
  message: string | string[];

  @ApiProperty({ example: 'Bad Request' })
  error: string;
}
