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

/** A 503 that tells the client when to come back (busy, not broken): sent with `Retry-After`. */
export class RetryLaterException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.SERVICE_UNAVAILABLE);
  }
}
