import { HttpException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { toErrorResponse } from '../common/all-exceptions.filter.js';
import { errorMessage } from '../common/error-message.js';
import type { WebhookHandled } from '../inbound-webhook-contract/webhook-handled.js';
import type { WebhookRequest } from '../inbound-webhook-contract/webhook-signature.guard.js';
import type { WebhookEventRecord } from './webhook-event.repository.js';
import type { WebhookEventStatus } from './webhook-event.schema.js';

/**
 * What the event log reads from a delivery, whatever its source: conventions shared by the
 * senders (Standard Webhooks headers, HeyGen's `event_type` / `event_id` / `event_data`), with
 * whatever the guard and the handler put on `request.webhook` taking precedence. A new source
 * that follows one of them is recorded fully without changes here.
 */

/**
 * Request headers kept on an event; signatures, tokens, cookies and keys never are: a name in
 * SECRET_HEADERS or HEYGEN_SIGNATURE_HEADERS is dropped even if it is listed here.
 */
export const RECORDED_HEADERS = [
  'content-type',
  'content-length',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'heygen-event-id',
  'heygen-timestamp',
  'x-request-id',
  'x-forwarded-for',
] as const;

/** A body that was not JSON is kept as text up to this many characters. */
export const PAYLOAD_TEXT_LIMIT = 4096;
/**
 * Of a delivery refused before its handler, only this many bytes of the body are kept (as text):
 * anyone can send one, so it must not cost what the body does. Its size and SHA-256 say the rest.
 */
export const REFUSED_PAYLOAD_BYTES = 2048;
/** Our answer is kept up to this many characters of its JSON text (ours are a few hundred). */
export const RESPONSE_BODY_LIMIT = 2048;
const ID_LIMIT = 200;
const ERROR_LIMIT = 2000;

/**
 * RCK's callbacks are mounted here; the short endpoint form is the path below
 * (docs/contracts/webhook-events.md#listing-events).
 */
export const WEBHOOK_MOUNTS = ['/internal', '/api/webhook'];

export function statusFor(httpStatus: number, outcome?: string): WebhookEventStatus {
  if (httpStatus >= 500) return 'failed';
  if (httpStatus >= 400) return 'rejected';
  return outcome === 'duplicate' || outcome === 'ignored' || outcome === 'held' ? outcome : 'accepted';
}

/** The status and message an exception becomes (as AllExceptionsFilter answers it). */
export function errorFacts(error: unknown): { httpStatus: number; message: string } {
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const text = Array.isArray(message) ? String(message[0]) : typeof message === 'string' ? message : error.message;
    return { httpStatus: error.getStatus(), message: text };
  }
  const name = (error as { name?: string })?.name;
  // A Mongoose validation or cast error is the input's fault (see AllExceptionsFilter).
  if (name === 'ValidationError' || name === 'CastError') return { httpStatus: 400, message: errorMessage(error) };
  return { httpStatus: 500, message: errorMessage(error) };
}

export interface DeliveryOutcome {
  httpStatus: number;
  durationMs: number;
  status?: WebhookEventStatus;
  error?: string;
  /** The body we answered (the envelope), kept bounded on the event (answerFacts). */
  response?: unknown;
}

/**
 * Our answer as the event keeps it: the JSON value when its text fits RESPONSE_BODY_LIMIT, else
 * the text cut there and marked truncated. A text answer (not JSON) is kept as text.
 */
export function answerFacts(body: unknown): { responseBody?: unknown; responseBodyTruncated?: true } {
  if (body === undefined) return {};
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (text === undefined) return {};
  if (text.length > RESPONSE_BODY_LIMIT) return { responseBody: text.slice(0, RESPONSE_BODY_LIMIT), responseBodyTruncated: true };
  // As JSON: what the sender read (no undefined turned null, dates as text).
  return { responseBody: typeof body === 'string' ? body : JSON.parse(text) };
}

/**
 * The envelope AllExceptionsFilter answers for an error the handler threw. An unexpected error's
 * answer also carries an errorId the filter makes and logs as it answers; that one is left out
 * here (the log lines of the request id have it).
 */
export function errorAnswer(error: unknown): unknown {
  const name = (error as { name?: string })?.name;
  if (error instanceof HttpException || name === 'ValidationError' || name === 'CastError') return toErrorResponse(error).body;
  return { success: false, message: 'Internal server error' };
}

/** A delivery as its event describes it, whatever carried it: a live request or a replayed event. */
export interface DeliveryDescription {
  endpoint: string;
  method: string;
  payload: unknown;
  payloadTruncated?: boolean;
  source: string;
  eventType?: string;
  deliveryId?: string;
  videoId?: string;
  callbackId?: string;
  headers?: Record<string, string>;
  signatureValid?: boolean;
  requestId?: string;
  replayOf?: string;
  /** What the handler said it did, when it ran to the end (see WebhookHandled). */
  handled?: Pick<WebhookHandled, 'outcome' | 'videoId' | 'recordId' | 'workspaceId' | 'deliveryId'>;
}

/**
 * The one place a delivery and how it ended become its event, for live deliveries
 * (eventFromRequest) and replays (WebhookReplayService) alike. The handler's result wins over
 * what the payload says; a delivery refused before its handler (signature, body, unknown video)
 * has no workspace.
 */
export function eventRecord(delivery: DeliveryDescription, outcome: DeliveryOutcome): WebhookEventRecord {
  const { handled } = delivery;
  const event: WebhookEventRecord = {
    id: new Types.ObjectId().toHexString(),
    endpoint: delivery.endpoint,
    method: delivery.method,
    payload: delivery.payload,
    ...(delivery.payloadTruncated && { payloadTruncated: true }),
    source: delivery.source,
    eventType: cut(delivery.eventType),
    deliveryId: cut(handled?.deliveryId ?? delivery.deliveryId),
    videoId: cut(handled?.videoId ?? delivery.videoId),
    callbackId: cut(delivery.callbackId),
    recordId: cut(handled?.recordId),
    workspaceId: handled?.workspaceId,
    headers: delivery.headers,
    status: outcome.status ?? statusFor(outcome.httpStatus, handled?.outcome),
    httpStatus: outcome.httpStatus,
    ...answerFacts(outcome.response),
    signatureValid: delivery.signatureValid,
    durationMs: Math.round(outcome.durationMs * 100) / 100,
    error: outcome.error === undefined ? undefined : outcome.error.slice(0, ERROR_LIMIT),
    requestId: delivery.requestId,
    replayOf: delivery.replayOf,
    createdAt: new Date(Date.now() - outcome.durationMs),
  };
  for (const key of Object.keys(event) as Array<keyof WebhookEventRecord>) if (event[key] === undefined) delete event[key];
  return event;
}

/**
 * Builds the event of one delivery from the request as it stands (what the guard learnt, what the
 * handler returned) and how it ended; `secretHeaders` (secretHeaderNames(config)) are never kept.
 */
export function eventFromRequest(
  request: WebhookRequest,
  source: string,
  outcome: DeliveryOutcome,
  secretHeaders: ReadonlySet<string>,
  keptPayload: (request: WebhookRequest) => { payload: unknown; payloadTruncated?: boolean } = payloadOf,
): WebhookEventRecord {
  const webhook = request.webhook;
  const { payload, payloadTruncated } = keptPayload(request);
  // Ids and type from the body as parsed (a refused delivery keeps only its text, cut short).
  const facts = payloadFacts(request.body ?? payload);
  const endpoint = pathOf(request.url);
  const headers = recordedHeaders(request.headers, secretHeaders);
  return eventRecord(
    {
      endpoint,
      method: request.method,
      payload,
      payloadTruncated,
      source,
      eventType: webhook?.eventType ?? facts.eventType ?? lastSegment(endpoint),
      deliveryId: webhook?.deliveryId ?? headers['webhook-id'] ?? headers['heygen-event-id'] ?? facts.eventId,
      videoId: facts.videoId,
      callbackId: facts.callbackId,
      headers,
      signatureValid: webhook?.signatureValid,
      requestId: typeof request.id === 'string' ? request.id : undefined,
      handled: webhook?.handled,
    },
    outcome,
  );
}

/**
 * The event of a delivery refused before its handler (WebhookRefusalHooks: a bad signature, a
 * malformed, oversized or over-shaped body, a wrong content type). Unlike eventFromRequest it never
 * keeps the parsed payload: `payload` is the first REFUSED_PAYLOAD_BYTES of the raw body as text
 * (null when none was read), beside `payloadBytes` and `payloadSha256` of the whole body, so an
 * unauthenticated sender cannot store more than that per delivery.
 */
export function refusedEventFromRequest(
  request: WebhookRequest,
  source: string,
  outcome: DeliveryOutcome,
  secretHeaders: ReadonlySet<string>,
): WebhookEventRecord {
  const event = eventFromRequest(request, source, outcome, secretHeaders, refusedPayloadOf);
  const raw = request.rawBody;
  if (raw && raw.length > 0) {
    event.payloadBytes = raw.length;
    event.payloadSha256 = rawBodySha256(request);
  }
  return event;
}

/** The SHA-256 (hex) of the exact bytes received; undefined when no body was read. */
export function rawBodySha256(request: WebhookRequest): string | undefined {
  const raw = request.rawBody;
  return raw && raw.length > 0 ? createHash('sha256').update(raw).digest('hex') : undefined;
}

function refusedPayloadOf(request: WebhookRequest): { payload: unknown; payloadTruncated?: boolean } {
  const raw = request.rawBody;
  if (!raw || raw.length === 0) return { payload: null };
  const end = utf8Boundary(raw, REFUSED_PAYLOAD_BYTES);
  return { payload: raw.subarray(0, end).toString('utf8'), ...(end < raw.length && { payloadTruncated: true }) };
}

/** The largest length up to `max` that does not split a UTF-8 sequence of `bytes`. */
export function utf8Boundary(bytes: Uint8Array, max: number): number {
  if (bytes.length <= max) return bytes.length;
  let end = max;
  // Back off the continuation bytes (10xxxxxx) of a character the cut would split (at most 3).
  while (end > max - 3 && end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return end;
}

/** Ids and type a payload carries, by the senders' conventions. */
export function payloadFacts(payload: unknown): { eventType?: string; eventId?: string; videoId?: string; callbackId?: string } {
  if (!isObject(payload)) return {};
  const data = isObject(payload.event_data) ? payload.event_data : {};
  return {
    eventType: text(payload.event_type) ?? text(payload.type),
    eventId: text(payload.event_id),
    videoId: text(payload.videoId) ?? text(payload.video_id) ?? text(data.video_id),
    callbackId: text(payload.callback_id) ?? text(data.callback_id),
  };
}

function payloadOf(request: WebhookRequest): { payload: unknown; payloadTruncated?: boolean } {
  if (request.body !== undefined && request.body !== null) return { payload: request.body };
  // Not parsed (malformed JSON, refused shape): the text as far as it is useful for debugging.
  if (request.rawBody && request.rawBody.length > 0) {
    const raw = request.rawBody.subarray(0, PAYLOAD_TEXT_LIMIT * 4).toString('utf8');
    const truncated = raw.length > PAYLOAD_TEXT_LIMIT || request.rawBody.length > PAYLOAD_TEXT_LIMIT * 4;
    return { payload: raw.slice(0, PAYLOAD_TEXT_LIMIT), ...(truncated && { payloadTruncated: true }) };
  }
  return { payload: null };
}

function recordedHeaders(headers: WebhookRequest['headers'], secretHeaders: ReadonlySet<string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of RECORDED_HEADERS) {
    if (secretHeaders.has(name)) continue;
    const value = headers[name];
    const single = Array.isArray(value) ? value.join(', ') : value;
    if (single !== undefined) kept[name] = single.slice(0, 512);
  }
  return kept;
}

export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function lastSegment(path: string): string | undefined {
  return path.split('/').filter(Boolean).at(-1);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : undefined;
}

function cut(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.slice(0, ID_LIMIT);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
