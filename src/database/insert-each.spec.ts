import { describe, it } from 'node:test';
import { expect } from 'expect';
import { insertOutcomes } from './insert-each.js';

/** The shape of the driver's MongoBulkWriteError for an unordered insert (mongodb/lib/bulk/common.js). */
function bulkWriteError(writeErrors: Array<{ index: number; code: number; errmsg: string }>, writeConcernError?: object) {
  return Object.assign(new Error(writeErrors[0]?.errmsg ?? 'write concern'), {
    writeErrors,
    result: { getWriteConcernError: () => writeConcernError },
  });
}

describe('insertOutcomes (one record each in an unordered insert)', () => {
  it('gives each record its own outcome: stored already is no error, another write error is that record\'s', () => {
    const outcomes = insertOutcomes(3, bulkWriteError([
      { index: 0, code: 11000, errmsg: 'E11000 duplicate key error' },
      { index: 2, code: 121, errmsg: 'Document failed validation' },
    ]));
    expect(outcomes).toHaveLength(3);
    expect(outcomes![0]).toBeUndefined();
    expect(outcomes![1]).toBeUndefined();
    expect(outcomes![2]).toEqual(new Error('Document failed validation'));
    expect((outcomes![2] as Error & { code: number }).code).toBe(121);
  });

  it('fails the whole batch when the write concern was not met, even beside a duplicate', () => {
    expect(insertOutcomes(2, bulkWriteError([{ index: 0, code: 11000, errmsg: 'E11000 duplicate key error' }], { code: 64, errmsg: 'waiting for replication timed out' }))).toBeUndefined();
  });

  it('fails the whole batch on an error about the command rather than its records', () => {
    expect(insertOutcomes(2, Object.assign(new Error('connection closed'), { name: 'MongoNetworkError' }))).toBeUndefined();
  });
});
