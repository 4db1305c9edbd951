import { describe, it } from 'node:test';
import { expect } from 'expect';
import { BadRequestException, HttpException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import {
  answerFacts,
  errorAnswer,
  errorFacts,
  eventRecord,
  pathOf,
  payloadFacts,
  RESPONSE_BODY_LIMIT,
  statusFor,
  utf8Boundary,
} from '../../src/inbound-webhook-events/delivery-facts.js';

/** Unit tier, table tests: what the webhook event log reads from a delivery and how it ended (delivery-facts.ts). */
describe('statusFor (unit, table)', () => {
  const rows: Array<[number, string | undefined, string]> = [
    [200, undefined, 'accepted'],
    [200, 'accepted', 'accepted'],
    [200, 'duplicate', 'duplicate'],
    [200, 'ignored', 'ignored'],
    [202, 'held', 'held'],
    [200, 'refused', 'accepted'],
    [200, 'something new', 'accepted'],
    [400, 'duplicate', 'rejected'],
    [401, undefined, 'rejected'],
    [404, 'ignored', 'rejected'],
    [429, undefined, 'rejected'],
    [499, undefined, 'rejected'],
    [500, 'accepted', 'failed'],
    [503, undefined, 'failed'],
  ];
  for (const [httpStatus, outcome, expected] of rows) {
    it(`${httpStatus} ${outcome ?? '(no outcome)'} → ${expected}`, () => expect(statusFor(httpStatus, outcome)).toBe(expected));
  }
});

describe('errorFacts (unit, table)', () => {
  const rows: Array<[string, unknown, { httpStatus: number; message: string }]> = [
    ['a Nest exception with a string message', new NotFoundException('Video not found'), { httpStatus: 404, message: 'Video not found' }],
    ['a validation error: its first message', new BadRequestException({ message: ['videoId is required', 'error must be a string'] }), { httpStatus: 400, message: 'videoId is required' }],
    ['an HttpException with a plain string response', new HttpException('Gone for good', 410), { httpStatus: 410, message: 'Gone for good' }],
    ['an HttpException whose response has no message', new HttpException({ reason: 'x' }, 413), { httpStatus: 413, message: 'Http Exception' }],
    ['a Mongoose ValidationError is the input’s fault', Object.assign(new Error('status: bad'), { name: 'ValidationError' }), { httpStatus: 400, message: 'status: bad' }],
    ['a Mongoose CastError too', Object.assign(new Error('Cast to ObjectId failed'), { name: 'CastError' }), { httpStatus: 400, message: 'Cast to ObjectId failed' }],
    ['anything else is ours: 500', new Error('connection reset'), { httpStatus: 500, message: 'connection reset' }],
    ['a thrown string', 'boom', { httpStatus: 500, message: 'boom' }],
  ];
  for (const [name, error, expected] of rows) {
    it(`${name} → ${expected.httpStatus} "${expected.message}"`, () => expect(errorFacts(error)).toEqual(expected));
  }

  it('an unexpected error is answered without its message (which stays in the log)', () => {
    expect(errorAnswer(new Error('secret detail'))).toEqual({ success: false, message: 'Internal server error' });
    expect(errorAnswer(new PayloadTooLargeException('Body too large'))).toEqual({ success: false, message: 'Body too large' });
  });
});

describe('answerFacts (unit, table)', () => {
  const big = { success: true, data: 'x'.repeat(RESPONSE_BODY_LIMIT) };
  const rows: Array<[string, unknown, object]> = [
    ['no answer', undefined, {}],
    ['a small JSON answer, as JSON', { success: true, data: { a: 1 } }, { responseBody: { success: true, data: { a: 1 } } }],
    ['dates become the text the sender read', { at: new Date('2026-03-01T00:00:00Z') }, { responseBody: { at: '2026-03-01T00:00:00.000Z' } }],
    ['undefined fields are dropped, as in the JSON sent', { a: 1, b: undefined }, { responseBody: { a: 1 } }],
    ['a text answer stays text', 'OK', { responseBody: 'OK' }],
    ['an answer longer than the limit: its text cut there, marked truncated', big, { responseBody: JSON.stringify(big).slice(0, RESPONSE_BODY_LIMIT), responseBodyTruncated: true }],
    ['exactly at the limit: kept whole', 'y'.repeat(RESPONSE_BODY_LIMIT), { responseBody: 'y'.repeat(RESPONSE_BODY_LIMIT) }],
  ];
  for (const [name, body, expected] of rows) {
    it(name, () => expect(answerFacts(body)).toEqual(expected));
  }
});

describe('utf8Boundary (unit, table)', () => {
  const bytes = (text: string) => Buffer.from(text, 'utf8');
  const rows: Array<[string, Buffer, number, number]> = [
    ['shorter than max: all of it', bytes('abc'), 10, 3],
    ['ASCII: max itself', bytes('abcdef'), 4, 4],
    ['a 2-byte character split: backs off before it', bytes('aé'), 2, 1],
    ['a 2-byte character whole: kept', bytes('aéb'), 3, 3],
    ['a 3-byte character split after 1 byte', bytes('ab€'), 3, 2],
    ['a 3-byte character split after 2 bytes', bytes('ab€'), 4, 2],
    ['a 4-byte character split after 3 bytes', bytes('a😀b'), 4, 1],
    ['a 4-byte character whole', bytes('a😀b'), 5, 5],
  ];
  for (const [name, input, max, expected] of rows) {
    it(`${name} (max ${max}) → ${expected}`, () => {
      const end = utf8Boundary(input, max);
      expect(end).toBe(expected);
      // What is kept decodes without a replacement character.
      expect(input.subarray(0, end).toString('utf8')).not.toContain('\ufffd');
    });
  }
});

describe('payloadFacts (unit, table)', () => {
  const rows: Array<[string, unknown, object]> = [
    ['RCK’s callback', { videoId: '65abc123def456789012abcd', error: 'x' }, { videoId: '65abc123def456789012abcd' }],
    [
      'HeyGen’s envelope',
      { event_id: 'evt_1', event_type: 'avatar_video.success', event_data: { video_id: 'hg1', callback_id: 'r1' } },
      { eventType: 'avatar_video.success', eventId: 'evt_1', videoId: 'hg1', callbackId: 'r1' },
    ],
    ['Standard Webhooks’ type', { type: 'video.completed' }, { eventType: 'video.completed' }],
    ['event_type wins over type', { event_type: 'a', type: 'b' }, { eventType: 'a' }],
    ['a top-level video_id and callback_id', { video_id: 'hg2', callback_id: 'r2' }, { videoId: 'hg2', callbackId: 'r2' }],
    ['numbers are read as text', { event_id: 42 }, { eventId: '42' }],
    ['empty strings, objects and booleans are not ids', { videoId: '', event_id: { a: 1 }, event_type: true }, {}],
    ['event_data that is not an object is not read', { event_data: ['video_id'] }, {}],
    ['an array', [{ videoId: 'x' }], {}],
    ['text', 'not json', {}],
    ['null', null, {}],
  ];
  for (const [name, payload, expected] of rows) {
    it(name, () => {
      const facts = payloadFacts(payload);
      expect(Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined))).toEqual(expected);
    });
  }
});

describe('pathOf (unit, table)', () => {
  for (const [url, path] of [
    ['/internal/videos/success', '/internal/videos/success'],
    ['/api/webhook/heygen?x=1&y=2', '/api/webhook/heygen'],
    ['/a?', '/a'],
    ['?only=query', ''],
  ]) {
    it(`${url} → ${JSON.stringify(path)}`, () => expect(pathOf(url)).toBe(path));
  }
});

describe('eventRecord (unit)', () => {
  const delivery = { endpoint: '/internal/videos/success', method: 'POST', payload: { videoId: 'from-payload' }, source: 'rck', videoId: 'from-payload', deliveryId: 'msg_header' };

  it('what the handler said wins over what the payload says; its outcome decides the status', () => {
    const event = eventRecord(
      { ...delivery, handled: { outcome: 'duplicate', videoId: 'from-handler', recordId: 'rec', workspaceId: 'ws', deliveryId: 'msg_handler' } },
      { httpStatus: 200, durationMs: 12.3456 },
    );
    expect(event).toMatchObject({ videoId: 'from-handler', deliveryId: 'msg_handler', recordId: 'rec', workspaceId: 'ws', status: 'duplicate', durationMs: 12.35 });
  });

  it('a delivery refused before its handler has no workspace, and its status comes from the HTTP status', () => {
    const event = eventRecord(delivery, { httpStatus: 401, durationMs: 1, error: 'Invalid signature' });
    expect(event).toMatchObject({ status: 'rejected', videoId: 'from-payload', deliveryId: 'msg_header', error: 'Invalid signature' });
    expect('workspaceId' in event).toBe(false);
    expect('recordId' in event).toBe(false);
  });

  it('an explicit status wins over the HTTP status', () => {
    expect(eventRecord(delivery, { httpStatus: 200, durationMs: 1, status: 'held' }).status).toBe('held');
  });

  it('ids are cut at 200 characters and errors at 2000; no field is left undefined', () => {
    const event = eventRecord({ ...delivery, videoId: 'v'.repeat(500), eventType: 't'.repeat(300) }, { httpStatus: 500, durationMs: 0, error: 'e'.repeat(5000) });
    expect(event.videoId).toHaveLength(200);
    expect(event.eventType).toHaveLength(200);
    expect(event.error).toHaveLength(2000);
    expect(Object.values(event).includes(undefined)).toBe(false);
  });

  it('is dated when the delivery arrived: its duration before now', () => {
    const before = Date.now();
    const event = eventRecord(delivery, { httpStatus: 200, durationMs: 5000 });
    expect(event.createdAt.getTime()).toBeGreaterThanOrEqual(before - 5000);
    expect(event.createdAt.getTime()).toBeLessThanOrEqual(Date.now() - 5000);
  });
});
