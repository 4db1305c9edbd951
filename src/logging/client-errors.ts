import { Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AllExceptionsFilter, toErrorResponse } from '../common/all-exceptions.filter.js';
import { logRequestCompleted } from './logging.js';

/**
 * Node's HTTP parser refuses some requests before Fastify has a request object: headers too
 * large (431), a malformed request (400), or a request not received within REQUEST_TIMEOUT_MS
 * (408, a body trickled a byte at a time). Nothing of Nest runs for those, so the answer is
 * written to the socket here, in the same envelope as every other error, and logged.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request not received in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request headers are too large']
        : [400, 'Malformed HTTP request'];
  this.log.warn(
    { req: { remoteAddress: socket.remoteAddress }, res: { statusCode: status }, err: { code: error.code } },
    'client error',
  );
  // A response already under way cannot be replaced; the connection is just closed.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify({ success: false, message });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * Fastify's router refuses some requests before any route, hook or Nest filter runs: a path
 * parameter longer than `maxParamLength` (414), a parameter that is not valid percent-encoding
 * (400), an async route constraint that failed (500). Fastify's own answer is outside the
 * envelope and quotes the path; this one is the envelope, through the same function as every
 * other error, and quotes nothing of the request. No hook runs for these requests, so the request
 * id and the `request completed` line are done here.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorResponse(error, new Logger(AllExceptionsFilter.name));
  void reply.code(status).header('content-type', 'application/json; charset=utf-8').header('x-request-id', request.id).send(body);
  logRequestCompleted(request, reply);
}

/** The answer to a request that arrives while the server closes. */
export const SHUTTING_DOWN = 'The service is shutting down; retry later';

/**
 * While the server closes, a request that still arrives (on a connection kept open by one in
 * flight) is answered 503 at once, in the envelope, before anything else runs: Fastify's own
 * answer (`return503OnClosing`, turned off in createAppParts) is outside it. Register before any
 * other onRequest hook.
 */
export function registerClosingAnswer(instance: FastifyInstance): void {
  let closing = false;
  instance.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  instance.addHook('onRequest', (request, reply, done) => {
    if (!closing) {
      done();
      return;
    }
    void reply
      .code(503)
      .header('connection', 'close')
      .header('content-type', 'application/json; charset=utf-8')
      .header('x-request-id', request.id)
      .send({ success: false, message: SHUTTING_DOWN });
  });
}
