import { describe, it } from 'node:test';
import { expect } from 'expect';
import { MAX_RETRY_AFTER_MS, parseRetryAfter, RETRY_JITTER, RETRY_SCHEDULE_MS } from '../../src/outbound-webhooks/outbound-delivery.service.js';
import { messageIdFor, subjectOf } from '../../src/outbound-webhooks/outbound-events.js';

/**
 * Unit tier, table tests: when messages to customers' endpoints are tried again (the schedule,
 * Retry-After), and the ids that make a repeated publication a no-op.
 */
const NOW = new Date('2026-03-01T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('the retry schedule (unit)', () => {
  it('is Standard Webhooks’ and Svix’s: ten attempts, the first at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h', () => {
    expect(RETRY_SCHEDULE_MS).toEqual([0, 5_000, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 14 * HOUR, 20 * HOUR, 24 * HOUR]);
  });

  it('spans a little over three days (3.5 at most with every delay 10 % late)', () => {
    const days = RETRY_SCHEDULE_MS.reduce((sum, ms) => sum + ms, 0) / (24 * HOUR);
    expect(days).toBeCloseTo(3.15, 2);
    expect(days * (1 + RETRY_JITTER)).toBeLessThan(3.5);
    expect(RETRY_JITTER).toBe(0.1);
  });
});

describe('parseRetryAfter (unit, table)', () => {
  const rows: Array<[string, unknown, number | undefined]> = [
    ['delay-seconds', '120', 120_000],
    ['zero', '0', 0],
    ['surrounding spaces', '  30 ', 30_000],
    ['an HTTP date in the future', 'Sun, 01 Mar 2026 12:05:00 GMT', 5 * MINUTE],
    ['an HTTP date in the past: at once', 'Sun, 01 Mar 2026 11:00:00 GMT', 0],
    ['beyond a day: a day', String(3 * 24 * 3600), MAX_RETRY_AFTER_MS],
    ['a date beyond a day: a day', 'Tue, 10 Mar 2026 12:00:00 GMT', MAX_RETRY_AFTER_MS],
    ['an obsolete RFC 850 date', 'Sunday, 01-Mar-26 12:01:00 GMT', MINUTE],
    ['an obsolete asctime date (GMT, though it does not say so)', 'Sun Mar  1 12:02:00 2026', 2 * MINUTE],
    ['a date in another zone than GMT', 'Sun, 01 Mar 2026 13:05:00 +0100', undefined],
    ['an ISO date', '2026-03-01T12:05:00Z', undefined],
    ['absent', undefined, undefined],
    ['empty', '', undefined],
    ['blank', '   ', undefined],
    ['not a string (several headers)', ['120', '60'], undefined],
    ['words', 'soon', undefined],
    ['hex', '0x10', undefined],
    ['exponent', '1e3', undefined],
  ];
  for (const [name, value, expected] of rows) {
    it(`${name}: ${JSON.stringify(value)} → ${expected ?? 'unreadable (the schedule decides)'}`, () => {
      expect(parseRetryAfter(value, NOW)).toBe(expected);
    });
  }

  // RFC 9110 §10.2.3: Retry-After is an HTTP-date or delay-seconds (1*DIGIT). These are neither,
  // so they are unreadable (the schedule decides), as its doc comment says. Date.parse read them
  // as dates in 2001, so they became "at once": an endpoint answering `Retry-After: 1.5` with a
  // 503 was tried again with no delay instead of at its scheduled time.
  const misread: Array<[string, string]> = [
    ['a fraction', '1.5'],
    ['a negative number', '-5'],
    ['a signed number', '+5'],
  ];
  for (const [name, value] of misread) {
    it(`${name}: ${JSON.stringify(value)} → unreadable (the schedule decides)`, () => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    });
  }
});

describe('messageIdFor (unit)', () => {
  it('is the same for every publication of one state of one record, and differs for any other state or event type', () => {
    const id = messageIdFor('65abc123def456789012abcd', 2, 'video.completed');
    expect(id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(messageIdFor('65abc123def456789012abcd', 2, 'video.completed')).toBe(id);
    const others = [
      messageIdFor('65abc123def456789012abcd', 3, 'video.completed'),
      messageIdFor('65abc123def456789012abcd', 2, 'video.failed'),
      messageIdFor('65abc123def456789012abce', 2, 'video.completed'),
    ];
    expect(new Set([id, ...others]).size).toBe(4);
  });
});

describe('subjectOf (unit, table)', () => {
  const rows: Array<[Parameters<typeof subjectOf>[0], Record<string, unknown>, object]> = [
    ['video.completed', { videoId: 'v1', reelId: 'r1' }, { subjectId: 'v1' }],
    ['video.failed', { videoId: 'v2' }, { subjectId: 'v2' }],
    ['reel.completed', { reelId: 'r1', videoId: 'v1' }, { subjectId: 'r1' }],
    ['reel.failed', { reelId: 'r2' }, { subjectId: 'r2' }],
    ['batch.completed', { batchId: 'b1' }, { subjectId: 'b1' }],
    ['video.completed', { videoId: 42 }, {}],
    ['reel.completed', {}, {}],
  ];
  for (const [eventType, data, expected] of rows) {
    it(`${eventType} ${JSON.stringify(data)} → ${JSON.stringify(expected)}`, () => expect(subjectOf(eventType, data)).toEqual(expected));
  }
});
