import { HttpException, HttpStatus } from '@nestjs/common';

/** A stampede was asked for while this instance was still running one (429). */
export class StampedeRunningException extends HttpException {
  constructor() {
    super(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        error: 'Too Many Requests',
        message:
          'A stampede is already running on this instance (one at a time); try again when it has finished',
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
