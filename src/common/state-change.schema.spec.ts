import { describe, it } from 'node:test';
import { expect } from 'expect';
import { Mongoose } from 'mongoose';
import { stateChangeSchema } from './state-change.schema.js';

describe('stateChangeSchema', () => {
  const mongoose = new Mongoose();
  const Thing = mongoose.model('Thing', new mongoose.Schema({ history: { type: [stateChangeSchema(['open', 'closed'] as const)], default: undefined } }));
  const at = new Date('2026-01-02T03:04:05Z');

  it('stores a change as version, status, at, reason and by, with no _id of its own', () => {
    const thing = new Thing({ history: [{ version: 1, status: 'closed', at, reason: 'done', by: 'u1', extra: 'dropped' }] });
    expect(thing.validateSync()).toBeUndefined();
    expect(thing.toObject().history).toEqual([{ version: 1, status: 'closed', at, reason: 'done', by: 'u1' }]);
    expect(new Thing({}).toObject().history).toBeUndefined();
  });

  it('takes only the statuses it was made with, and requires version, status and at', () => {
    const errors = (change: object) => Object.keys(new Thing({ history: [change] }).validateSync()?.errors ?? {}).sort();
    expect(errors({ version: 1, status: 'pending', at })).toEqual(['history.0.status']);
    expect(errors({})).toEqual(['history.0.at', 'history.0.status', 'history.0.version']);
  });
});
