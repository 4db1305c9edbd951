import { describe, it } from 'node:test';
import { expect } from 'expect';
import { isDuplicateKeyError } from './mongo-errors.js';

describe('isDuplicateKeyError', () => {
  it('recognises code 11000 on a single write and among a bulk write\'s errors, and nothing else', () => {
    const cases: Array<[string, unknown, boolean]> = [
      ['a single write', Object.assign(new Error('E11000 duplicate key'), { code: 11000 }), true],
      ['a plain object', { code: 11000 }, true],
      ['one of a bulk write\'s errors', { writeErrors: [{ index: 0, code: 121 }, { index: 1, code: 11000 }] }, true],
      ['another code', { code: 121 }, false],
      ['the code as a string', { code: '11000' }, false],
      ['bulk write errors of other codes', { writeErrors: [{ code: 2 }] }, false],
      ['writeErrors that is no array', { writeErrors: { code: 11000 } }, false],
      ['a message only', new Error('E11000 duplicate key'), false],
      ['null', null, false],
      ['a number', 11000, false],
    ];
    for (const [what, error, expected] of cases) expect({ what, duplicate: isDuplicateKeyError(error) }).toEqual({ what, duplicate: expected });
  });
});
