import { HttpException, HttpStatus } from '@nestjs/common';

/** A 429 that tells the client when to come back (the filter sends it as `Retry-After`). */
export class TooManyRequestsException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}
