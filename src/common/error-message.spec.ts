import { describe, it } from 'node:test';
import { expect } from 'expect';
import { errorMessage } from './error-message.js';

describe('errorMessage', () => {
  it('takes an Error\'s message (a subclass\'s too) and turns anything else thrown into a string', () => {
    const cases: Array<[unknown, string]> = [
      [new Error('boom'), 'boom'],
      [new TypeError('not a function'), 'not a function'],
      [new Error(''), ''],
      ['a plain string', 'a plain string'],
      [42, '42'],
      [undefined, 'undefined'],
      [null, 'null'],
      [{ code: 11000 }, '[object Object]'],
    ];
    for (const [thrown, message] of cases) expect(errorMessage(thrown)).toBe(message);
  });
});
