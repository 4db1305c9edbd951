import { describe, it } from 'node:test';
import { expect } from 'expect';
import { composeConfig } from '../config/define-config.js';
import { webhookEventsConfig } from './webhook-events.config.js';

const events = (env: Record<string, string>) => composeConfig([webhookEventsConfig], env).webhookEvents;

describe('webhook event log configuration', () => {
  it('keeps webhook events 90 days and refused ones 7 by default; 0 keeps them forever', () => {
    expect(events({})).toEqual(expect.objectContaining({ retentionDays: 90, refusedRetentionDays: 7 }));
    expect(events({ WEBHOOK_EVENT_RETENTION_DAYS: '0' })).toEqual(expect.objectContaining({ retentionDays: undefined, refusedRetentionDays: 7 }));
    expect(events({ WEBHOOK_EVENT_REFUSED_RETENTION_DAYS: '0' })).toEqual(expect.objectContaining({ retentionDays: 90, refusedRetentionDays: undefined }));
    // Refused events are never kept longer than the others: the shorter setting wins.
    expect(events({ WEBHOOK_EVENT_RETENTION_DAYS: '5' })).toEqual(expect.objectContaining({ retentionDays: 5, refusedRetentionDays: undefined }));
    expect(events({}).refusals).toEqual({ max: 60, windowMs: 60_000 });
  });
});
