import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { errorCodes, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { Error as MongooseError } from 'mongoose';
import { ErrorEnvelope, FieldError } from './envelope.js';
import { RetryLaterException, TooManyRequestsException } from './too-many-requests.exception.js';
import { MAX_FIELD_ERRORS } from './validation.pipe.js';

/**
 * The one place an error becomes an HTTP answer. Known errors keep their status and message;
 * Fastify's own errors (malformed JSON, wrong content type, oversized body, which Nest turns into
 * HttpExceptions before they get here, and those of its router, see frameworkErrorHandler) keep
 * their status, and their message only when it quotes nothing of the request. Anything else is a
 * 500 whose `errorId` is logged with the stack, so a client can quote it without us leaking
 * internals (stack traces, database error text) in the body.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    // Nest's answer to a path no route takes quotes the path; the client knows what it asked for.
    if (isRouteNotFound(exception, request)) exception = new NotFoundException(ROUTE_NOT_FOUND);
    const { status, body } = toErrorResponse(exception, this.logger);
    if (exception instanceof TooManyRequestsException || exception instanceof RetryLaterException) {
      void reply.header('retry-after', String(exception.retryAfterSeconds));
    }
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

/** The answer to a path (or method) no route takes. */
export const ROUTE_NOT_FOUND = 'Route not found';

/** Nest's own 404 for a request no route matched: `Cannot GET /the/path` (RoutesResolver). */
function isRouteNotFound(exception: unknown, request: FastifyRequest | undefined): boolean {
  return (
    exception instanceof NotFoundException &&
    request?.raw !== undefined &&
    exception.message === `Cannot ${request.raw.method} ${request.raw.url}`
  );
}

/**
 * Our own words for the Fastify errors a client can cause whose message would quote the request
 * (the path); other such errors get the status text.
 */
const FASTIFY_MESSAGES: Partial<Record<keyof typeof errorCodes, string>> = {
  FST_ERR_BAD_URL: 'The URL is not valid',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long',
};

export function toErrorResponse(exception: unknown, logger = new Logger(AllExceptionsFilter.name)): { status: number; body: ErrorEnvelope } {
  const fastifyError = fastifyErrorOf(exception);
  if (fastifyError && fastifyError.statusCode! < 500) {
    return { status: fastifyError.statusCode!, body: { success: false, message: fastifyMessage(fastifyError) } };
  }
  if (exception instanceof HttpException && !fastifyError) {
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
  // A 5xx of Fastify's keeps its status (a handler timeout is a 503), never its message.
  const status = fastifyError?.statusCode ?? HttpStatus.INTERNAL_SERVER_ERROR;
  const message = status === HttpStatus.INTERNAL_SERVER_ERROR ? 'Internal server error' : (STATUS_CODES[status] ?? 'Internal server error');
  return { status, body: { success: false, message, errorId } };
}

/**
 * A Fastify error (its own `FST_ERR_…`, or a plugin's), raw or as the HttpException Nest's
 * Fastify adapter makes of a 4xx one (the original is its `cause`).
 */
function fastifyErrorOf(exception: unknown): FastifyError | undefined {
  const candidate = exception instanceof HttpException ? exception.cause : exception;
  if (!(candidate instanceof Error)) return undefined;
  const { name, code, statusCode } = candidate as Partial<FastifyError>;
  return name === 'FastifyError' && typeof code === 'string' && Number.isInteger(statusCode) && statusCode! >= 400 && statusCode! < 600
    ? (candidate as FastifyError)
    : undefined;
}

/**
 * A Fastify error's message only when it is its code's fixed text (`Unsupported Media Type`):
 * a message built from a template quotes what the request sent (a path, a header), so it gets
 * our own words or the status text instead.
 */
function fastifyMessage(error: FastifyError): string {
  const code = error.code as keyof typeof errorCodes;
  const known = FASTIFY_MESSAGES[code];
  if (known) return known;
  const template = Object.hasOwn(errorCodes, code) ? new errorCodes[code]().message : undefined;
  if (template !== undefined && !/%[a-zA-Z%]/.test(template) && error.message === template) return template;
  return STATUS_CODES[error.statusCode!] ?? 'Request refused';
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
