import { PayloadTooLargeException } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * How request bodies get in: only `application/json` (anything else is 415, so a web page cannot
 * post a form to us without a CORS preflight), within a byte limit chosen by path, and within a
 * shape small enough that class-transformer and class-validator finish in milliseconds. The
 * exact bytes received stay on `request.rawBody` for the webhook signature checks.
 *
 * Every refusal is thrown into Fastify's error handling, so it reaches AllExceptionsFilter (and
 * any Fastify hook that records requests) like any other error.
 */

/** Login takes an email and a password: a few KB is plenty, and less to parse per guess. */
export const LOGIN_BODY_LIMIT_BYTES = 4 * 1024;

/**
 * What a JSON body may look like. Generous for every body this service takes (a webhook nests a
 * few levels, a bulk request lists up to some hundreds of ids) and small enough that the whole
 * validation pipeline handles the largest allowed body in a few milliseconds.
 */
export const JSON_SHAPE_LIMITS = {
  maxDepth: 32,
  maxKeysPerObject: 200,
  /** In bytes as sent (escapes included); a key is a field name, and answers may quote it. */
  maxKeyLength: 128,
  maxArrayLength: 1000,
  /**
   * Object keys plus array items in the whole body. class-transformer copies every one of them
   * before the whitelist refuses an unknown field: 10 000 cost ~30 ms of event loop, 2 000 ~3 ms.
   */
  maxTotalEntries: 2000,
} as const;

export type JsonShapeLimits = { [K in keyof typeof JSON_SHAPE_LIMITS]: number };

/**
 * A check a hook may put on a request before its body arrives (`request[RAW_BODY_CHECK] = …`):
 * it sees the exact bytes before they are measured or parsed, and an error it returns refuses the
 * request instead, through Fastify's error handling like the other refusals here. The webhook
 * routes' refused-delivery limit verifies a signature this way before any parse work.
 */
export const RAW_BODY_CHECK = Symbol('rawBodyCheck');
export type RawBodyCheck = (bytes: Buffer) => Error | undefined;

export interface BodyLimitRule {
  /** A path ending in `/` limits every route under it; any other limits that one route. */
  path: string;
  limitBytes: number;
}

/**
 * Body limits by path, first match wins; other routes get the global BODY_LIMIT_BYTES. A route
 * added later under one of these paths (the RCK and HeyGen webhooks) gets its limit from here.
 */
export function bodyLimitRules(limits: { webhookBodyLimitBytes: number }): BodyLimitRule[] {
  return [
    { path: '/api/auth/login', limitBytes: LOGIN_BODY_LIMIT_BYTES },
    { path: '/internal/', limitBytes: limits.webhookBodyLimitBytes },
    { path: '/api/webhook/', limitBytes: limits.webhookBodyLimitBytes },
  ];
}

export function bodyLimitFor(url: string, rules: BodyLimitRule[]): number | undefined {
  const path = url.split('?')[0];
  return rules.find((rule) => (rule.path.endsWith('/') ? path.startsWith(rule.path) : path === rule.path))?.limitBytes;
}

/**
 * Installs the JSON-only body parser and the per-path limits on a Fastify instance. Call before
 * any route is registered (the limits are set on each route as it is added).
 */
export function registerJsonBodyParsing(
  instance: FastifyInstance,
  options: { bodyLimitBytes: number; rules: BodyLimitRule[]; shape?: JsonShapeLimits },
): void {
  const shape = options.shape ?? JSON_SHAPE_LIMITS;
  instance.addHook('onRoute', (route) => {
    route.bodyLimit ??= bodyLimitFor(route.url ?? route.path, options.rules);
  });
  // Fastify's own text/plain parser and Nest's form parser are not installed (bodyParser: false),
  // so a body of any other type is refused with 415 by Fastify.
  instance.removeAllContentTypeParsers();
  const parseJson = instance.getDefaultJsonParser('error', 'error');
  instance.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes },
    (request: FastifyRequest & { rawBody?: Buffer; [RAW_BODY_CHECK]?: RawBodyCheck }, body: Buffer | string, done) => {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      request.rawBody = bytes;
      const refusal = request[RAW_BODY_CHECK]?.(bytes);
      if (refusal) {
        done(refusal, undefined);
        return;
      }
      const problem = jsonShapeProblem(bytes, shape);
      if (problem) {
        done(new PayloadTooLargeException(problem), undefined);
        return;
      }
      parseJson(request, bytes as unknown as string, done);
    },
  );
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * Measures the structure of a JSON text without parsing it, in one pass over the bytes, and
 * stops at the first limit exceeded (the answer names it): nothing is built, nothing recurses, so a hostile body costs
 * no more than reading it. Malformed JSON is left for the parser to report.
 */
export function jsonShapeProblem(
  bytes: Uint8Array,
  limits: JsonShapeLimits = JSON_SHAPE_LIMITS,
): string | undefined {
  // Per open container: 1 for an object, 0 for an array, and how many keys / commas it has seen.
  const isObject = new Uint8Array(limits.maxDepth + 1);
  const counts = new Uint32Array(limits.maxDepth + 1);
  let depth = 0;
  let entries = 0;
  let lastStringBytes = 0;
  // An array was just opened: its first item (anything but `]`) counts as an entry, as each one a comma introduces does.
  let arrayOpened = false;
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const byte = bytes[i];
    if (arrayOpened && !isJsonWhitespace(byte)) {
      arrayOpened = false;
      if (byte !== CLOSE_ARRAY && ++entries > limits.maxTotalEntries) {
        return `JSON body has more than ${limits.maxTotalEntries} keys and items`;
      }
    }
    if (byte === QUOTE) {
      // Skip the string: find the closing quote that is not escaped.
      let end = i;
      for (;;) {
        end = bytes.indexOf(QUOTE, end + 1);
        if (end === -1) return undefined;
        let backslashes = 0;
        while (bytes[end - 1 - backslashes] === BACKSLASH) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      lastStringBytes = end - i - 1;
      i = end;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (depth === limits.maxDepth) {
        return `JSON body nests deeper than ${limits.maxDepth} levels`;
      }
      depth++;
      isObject[depth] = byte === OPEN_OBJECT ? 1 : 0;
      counts[depth] = 0;
      arrayOpened = byte === OPEN_ARRAY;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      if (depth === 0) return undefined;
      depth--;
    } else if (byte === COLON && depth > 0 && isObject[depth] === 1) {
      if (lastStringBytes > limits.maxKeyLength) {
        return `A key in the JSON body is longer than ${limits.maxKeyLength} bytes`;
      }
      if (++counts[depth] > limits.maxKeysPerObject) {
        return `A JSON object in the body has more than ${limits.maxKeysPerObject} keys`;
      }
      if (++entries > limits.maxTotalEntries) {
        return `JSON body has more than ${limits.maxTotalEntries} keys and items`;
      }
    } else if (byte === COMMA && depth > 0 && isObject[depth] === 0) {
      // n commas separate n + 1 items (the first was counted when it began).
      if (++counts[depth] + 1 > limits.maxArrayLength) {
        return `A JSON array in the body has more than ${limits.maxArrayLength} items`;
      }
      if (++entries > limits.maxTotalEntries) {
        return `JSON body has more than ${limits.maxTotalEntries} keys and items`;
      }
    }
  }
  return undefined;
}

/** JSON's insignificant whitespace (RFC 8259, section 2): space, tab, line feed, carriage return. */
function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}
