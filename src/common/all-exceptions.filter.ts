import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { ErrorEnvelope, FieldError } from './envelope.js';

/**
 * The one place an error becomes an HTTP answer. Known errors keep their status and message;
 * anything else is a 500 whose `errorId` is logged with the stack, so a client can quote it
 * without us leaking internals (stack traces, database error text) in the body.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = toErrorResponse(exception, this.logger);
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

export function toErrorResponse(exception: unknown, logger: Logger): { status: number; body: ErrorEnvelope } {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const body: ErrorEnvelope = { success: false, message: messageOf(response, exception.message) };
    const errors = fieldErrorsOf(response);
    if (errors) body.errors = errors;
    return { status, body };
  }
  const framework = frameworkError(exception);
  if (framework) return framework;
  const errorId = randomUUID();
  logger.error({ errorId, err: exception }, `Unhandled error ${errorId}`);
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { success: false, message: 'Internal server error', errorId },
  };
}

/** Fastify's own errors (body parsing, content type, size) carry a status code and a FST_ code. */
function frameworkError(exception: unknown): { status: number; body: ErrorEnvelope } | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { statusCode, code } = exception as { statusCode?: number; code?: string };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500) return undefined;
  const messages: Record<string, string> = {
    FST_ERR_CTP_INVALID_JSON_BODY: 'Malformed JSON in request body',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'Request body must not be empty when Content-Type is application/json',
    FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type; send application/json',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Request body size did not match Content-Length',
  };
  const fallback = statusCode === 413 ? messages.FST_ERR_CTP_BODY_TOO_LARGE : 'Bad request';
  return { status: statusCode, body: { success: false, message: (code && messages[code]) || fallback } };
}

function messageOf(response: string | object, fallback: string): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && message.length > 0) return String(message[0]);
  return fallback;
}

function fieldErrorsOf(response: string | object): FieldError[] | undefined {
  if (typeof response !== 'object') return undefined;
  const errors = (response as { errors?: unknown }).errors;
  return Array.isArray(errors) ? (errors as FieldError[]) : undefined;
}
