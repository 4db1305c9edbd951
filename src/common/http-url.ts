import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { isURL, ValidateBy } from 'class-validator';

/**
 * The one rule for a URL that we store and later hand to a browser, redirect to or call: what the
 * generators send (RCK's video and thumbnail URLs, HeyGen's video and thumbnail URLs) and what
 * users register (webhook endpoints, Slack and Discord). An absolute http(s) URL as the validator
 * and the WHATWG parser (browsers, Node) both read it, at most MAX_URL_LENGTH characters, with no
 * control or invisible character (a CR LF would break the `Location` header a download answers),
 * and no credentials (a `user:password@` is shown to whoever may read the URL). Where a URL may
 * point (loopback, private addresses) is another rule: src/common/net.ts.
 */

export const MAX_URL_LENGTH = 2048;

/** Control (C0, DEL, C1) and format characters (zero-width, bidi overrides). */
const CONTROL_OR_INVISIBLE = /[\p{Cc}\p{Cf}]/u;
const URL_SYNTAX = { protocols: ['http', 'https'], require_protocol: true, require_tld: false, allow_underscores: true };
const NOT_HTTP_URL = 'must be an http(s) URL';

/** Why a value is not a usable http(s) URL, as the end of a sentence naming it; undefined when it is one. */
export function httpUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  if (CONTROL_OR_INVISIBLE.test(value)) return 'must not contain control or invisible characters';
  if (!isURL(value, URL_SYNTAX)) return NOT_HTTP_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return NOT_HTTP_URL;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return NOT_HTTP_URL;
  if (url.username !== '' || url.password !== '') return 'must not contain credentials (user:password@)';
  return undefined;
}

export function isHttpUrl(value: unknown): value is string {
  return httpUrlProblem(value) === undefined;
}

/** The URL if it is usable (httpUrlProblem), else undefined: for data stored before the rule held. */
export function usableHttpUrl(value: string | undefined): string | undefined {
  return isHttpUrl(value) ? value : undefined;
}

/**
 * Validates a request field by httpUrlProblem and documents it as a URI. `notHttpUrl` replaces
 * the message for a value that is no http(s) URL at all (e.g. `slackWebhookUrl must be an https
 * URL`); the other problems are named as they are.
 */
export function IsHttpUrl(options: { notHttpUrl?: string } = {}): PropertyDecorator {
  return applyDecorators(
    ValidateBy({
      name: 'isHttpUrl',
      validator: {
        validate: (value) => isHttpUrl(value),
        defaultMessage: (args) => {
          const problem = httpUrlProblem(args?.value);
          return problem === NOT_HTTP_URL && options.notHttpUrl ? options.notHttpUrl : `${args?.property} ${problem}`;
        },
      },
    }),
    ApiProperty({ format: 'uri', maxLength: MAX_URL_LENGTH }),
  );
}
