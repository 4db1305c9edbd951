import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { Error as MongooseError } from 'mongoose';
import { ErrorEnvelope, FieldError } from './envelope.js';
import { RetryLaterException, TooManyRequestsException } from './too-many-requests.exception.js';
import { MAX_FIELD_ERRORS } from './validation.pipe.js';

/**
 * The one place an error becomes an HTTP answer. Known errors keep their status and message
 * (Nest turns Fastify's own body-parsing errors — malformed JSON, wrong content type, oversized
 * body — into HttpExceptions before they get here);
 * anything else is a 500 whose `errorId` is logged with the stack, so a client can quote it
 * without us leaking internals (stack traces, database error text) in the body.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = toErrorResponse(exception, this.logger);
    if (exception instanceof TooManyRequestsException || exception instanceof RetryLaterException) {
      void reply.header('retry-after', String(exception.retryAfterSeconds));
    }
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

export function toErrorResponse(exception: unknown, logger = new Logger('ExceptionFilter')): { status: number; body: ErrorEnvelope } {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const body: ErrorEnvelope = { success: false, message: messageOf(response, exception.message) };
    const errors = fieldErrorsOf(response);
    if (errors) body.errors = errors;
    const details = healthDetailsOf(response);
    if (details) {
      const down = Object.keys(details).filter((name) => (details[name] as { status?: string })?.status !== 'up');
      body.message = `Service unavailable: ${down.join(', ')} down`;
      body.details = details;
    }
    return { status, body };
  }
  if (exception instanceof MongooseError.ValidationError || exception instanceof MongooseError.CastError) {
    // A DTO should have refused this input; if one did not, it is still the input that is wrong.
    const errors = mongooseFieldErrors(exception);
    return { status: HttpStatus.BAD_REQUEST, body: { success: false, message: errors[0].messages[0], errors } };
  }
  const errorId = randomUUID();
  logger.error({ errorId, err: exception }, `Unhandled error ${errorId}`);
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { success: false, message: 'Internal server error', errorId },
  };
}

function messageOf(response: string | object, fallback: string): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && message.length > 0) return String(message[0]);
  return fallback;
}

/** A failed health check (Terminus) says which dependency is down; that is the point of it. */
function healthDetailsOf(response: string | object): Record<string, unknown> | undefined {
  if (typeof response !== 'object' || (response as { status?: unknown }).status !== 'error') return undefined;
  const details = (response as { details?: unknown }).details;
  return typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : undefined;
}

function fieldErrorsOf(response: string | object): FieldError[] | undefined {
  if (typeof response !== 'object') return undefined;
  const errors = (response as { errors?: unknown }).errors;
  return Array.isArray(errors) ? (errors as FieldError[]) : undefined;
}

function mongooseFieldErrors(error: MongooseError.ValidationError | MongooseError.CastError): FieldError[] {
  const causes = error instanceof MongooseError.ValidationError ? Object.values(error.errors) : [error];
  return causes.slice(0, MAX_FIELD_ERRORS).map((cause) => {
    const kind = (cause as { kind?: string }).kind;
    return { field: cause.path, messages: [kind === 'required' ? `${cause.path} is required` : `${cause.path} is invalid`] };
  });
}
