import { describe, it } from 'node:test';
import { expect } from 'expect';
import { bodyLimitFor, bodyLimitRules, jsonShapeProblem, JSON_SHAPE_LIMITS, LOGIN_BODY_LIMIT_BYTES } from '../../src/common/http-body.js';

/**
 * Unit tier, table tests: the body rules of src/common/http-body.ts at their boundaries, with
 * small limits so each row is readable. The refusals through the HTTP pipeline (413, timings) are
 * in hostile-input.e2e-spec.ts.
 */
const LIMITS = { maxDepth: 3, maxKeysPerObject: 3, maxKeyLength: 5, maxArrayLength: 4, maxTotalEntries: 6 };
const DEPTH = 'JSON body nests deeper than 3 levels';
const KEYS = 'A JSON object in the body has more than 3 keys';
const KEY_LENGTH = 'A key in the JSON body is longer than 5 bytes';
const ARRAY = 'A JSON array in the body has more than 4 items';
const TOTAL = 'JSON body has more than 6 keys and items';

describe('jsonShapeProblem (unit, table)', () => {
  const rows: Array<[string, string, string | undefined]> = [
    ['an empty object', '{}', undefined],
    ['nesting at the limit', '{"a":{"b":[1]}}', undefined],
    ['nesting one deeper', '{"a":{"b":[[1]]}}', DEPTH],
    ['keys at the limit', '{"a":1,"b":2,"c":3}', undefined],
    ['one key more', '{"a":1,"b":2,"c":3,"d":4}', KEYS],
    ['a key at the length limit', '{"abcde":1}', undefined],
    ['a key one byte longer', '{"abcdef":1}', KEY_LENGTH],
    ['a long string value is no key', '{"a":"abcdefghijkl"}', undefined],
    ['an escaped quote inside a key counts its bytes as sent (6 here)', '{"abc\\"d":1}', KEY_LENGTH],
    ['items at the limit', '[1,2,3,4]', undefined],
    ['one item more', '[1,2,3,4,5]', ARRAY],
    ['brackets, braces, commas and colons inside strings are text', '{"a":"[[[[{{,,,,:::"}', undefined],
    ['an escaped backslash before a closing quote ends the string', '{"a":"x\\\\","b":[[[[1]]]]}', DEPTH],
    ['keys across objects at the total limit', '{"a":{"b":1,"c":2},"d":{"e":1,"f":2}}', undefined],
    ['one key more in all', '{"a":{"b":1,"c":2},"d":{"e":1,"f":2,"g":3}}', TOTAL],
    ['keys and items in all, one more than the limit (5 keys, 2 commas)', '{"a":{"b":1,"c":2},"d":{"e":[1,2,3]}}', TOTAL],
    ['malformed JSON is left to the parser', '{"a":', undefined],
    ['an unterminated string is left to the parser', '{"a":"abc', undefined],
    ['a stray closing bracket is left to the parser', ']]]', undefined],
  ];
  for (const [name, text, expected] of rows) {
    it(`${name}: ${text} → ${expected ?? 'within the limits'}`, () => expect(jsonShapeProblem(Buffer.from(text), LIMITS)).toBe(expected));
  }

  it('the service’s own limits are the README’s', () => {
    expect(JSON_SHAPE_LIMITS).toEqual({ maxDepth: 32, maxKeysPerObject: 200, maxKeyLength: 128, maxArrayLength: 1000, maxTotalEntries: 2000 });
  });

  // The README: "more than 2000 keys and items in all" is 413. Items were counted by commas (n - 1
  // for n items), so the first item of every array went uncounted: an array of single-item arrays
  // nested 29 deep, 1000 times over, holds 30 000 items and was counted as 1 000 (60 KB, under
  // every route's byte limit but login's). class-transformer copies every one of them before the
  // whitelist refuses the field, which is the cost the limit is there to bound.
  const uncounted: Array<[string, string]> = [
    ['9 items: 4 arrays of 1 or 2 in one (counted 4)', '[[1],[1],[1,2],[1]]'],
    ['10 items: 2 arrays of 2 single-item arrays in one (counted 3)', '[[[1],[1]],[[1],[1]]]'],
    ['7 entries: 5 keys and 2 single-item arrays (counted 5)', '{"a":{"b":[1],"c":[2]},"d":1,"e":1}'],
  ];
  for (const [name, text] of uncounted) {
    it(
      `counts the first item of every array too: ${name} → more than 6`,
      () => expect(jsonShapeProblem(Buffer.from(text), LIMITS)).toBe(TOTAL),
    );
  }
  it(
    'with the service’s limits: 1000 single items nested 29 deep (30 001 keys and items) are more than 2000',
    () => {
      const deep = `${'['.repeat(29)}1${']'.repeat(29)}`;
      const body = `{"a":[${Array.from({ length: 1000 }, () => deep).join(',')}]}`;
      expect(body.length).toBeLessThan(64 * 1024);
      expect(jsonShapeProblem(Buffer.from(body))).toBe('JSON body has more than 2000 keys and items');
    },
  );
});

describe('bodyLimitFor (unit, table)', () => {
  const rules = bodyLimitRules({ webhookBodyLimitBytes: 256 * 1024 });
  const rows: Array<[string, number | undefined]> = [
    ['/api/auth/login', LOGIN_BODY_LIMIT_BYTES],
    ['/api/auth/login?next=/x', LOGIN_BODY_LIMIT_BYTES],
    ['/api/auth/login/extra', undefined],
    ['/internal/videos/success', 256 * 1024],
    ['/internal/videos/failure?x=1', 256 * 1024],
    ['/internal', undefined],
    ['/api/webhook/heygen', 256 * 1024],
    ['/api/webhooks', undefined],
    ['/api/videos/bulk-generate', undefined],
  ];
  for (const [url, limit] of rows) it(`${url} → ${limit ?? 'the global BODY_LIMIT_BYTES'}`, () => expect(bodyLimitFor(url, rules)).toBe(limit));
});
