import { describe, it } from 'node:test';
import { expect } from 'expect';
import { BadRequestException } from '@nestjs/common';
import { StreamCursor } from '../../src/monitoring/stream-cursor.js';

/**
 * Unit tier: the monitoring stream's cursor (its watermark, the ids seen within the overlap, and
 * the `Last-Event-ID` it encodes). The encoding's size limit is proven in monitoring-stream.e2e-spec.ts.
 */
const OVERLAP = 30_000;
const id = (n: number) => n.toString(16).padStart(24, '0');

describe('StreamCursor (unit)', () => {
  it('reads again from the watermark minus the overlap', () => {
    expect(new StreamCursor(100_000, OVERLAP).since).toEqual(new Date(70_000));
  });

  it('accepts an event once; the watermark follows the latest createdAt and never goes back', () => {
    const cursor = new StreamCursor(100_000, OVERLAP);
    expect(cursor.accept(id(1), 110_000)).toBe(true);
    expect(cursor.accept(id(1), 110_000)).toBe(false);
    expect(cursor.since).toEqual(new Date(80_000));
    // A late write, older than the watermark: accepted (not seen before), the watermark stays.
    expect(cursor.accept(id(2), 90_000)).toBe(true);
    expect(cursor.since).toEqual(new Date(80_000));
    expect(cursor.seenIds.sort()).toEqual([id(1), id(2)]);
  });

  it('forgets ids that fall out of the overlap window as the watermark moves on', () => {
    const cursor = new StreamCursor(0, OVERLAP);
    cursor.accept(id(1), 10_000);
    cursor.accept(id(2), 35_000);
    cursor.advance(40_001); // window now starts at 10_001
    expect(cursor.seenIds).toEqual([id(2)]);
    cursor.advance(20_000); // never back: nothing changes
    expect(cursor.seenIds).toEqual([id(2)]);
    expect(cursor.since).toEqual(new Date(10_001));
  });

  it('decodes what it encodes: same watermark, same ids (a reconnecting client repeats nothing)', () => {
    const cursor = new StreamCursor(1_700_000_000_000, OVERLAP);
    cursor.accept(id(10), 1_700_000_000_500);
    cursor.accept(id(11), 1_700_000_001_000);
    const decoded = StreamCursor.decode(cursor.encode(), OVERLAP);
    expect(decoded.since).toEqual(cursor.since);
    expect(decoded.seenIds.sort()).toEqual([id(10), id(11)]);
    expect(decoded.accept(id(10), 0)).toBe(false);
    expect(decoded.accept(id(12), 1_700_000_001_000)).toBe(true);
  });

  it('a clone decides on its own', () => {
    const cursor = new StreamCursor(0, OVERLAP);
    const copy = cursor.clone();
    copy.accept(id(1), 5_000);
    expect(cursor.seenIds).toEqual([]);
    expect(cursor.accept(id(1), 5_000)).toBe(true);
  });

  const refused: Array<[string, string]> = [
    ['empty', ''],
    ['another version', 'v2.abc.'],
    ['no watermark', 'v1..'],
    ['a watermark that is not base 36', 'v1.ABC.'],
    ['a watermark beyond 12 digits', `v1.${'z'.repeat(13)}.`],
    ['ids not a multiple of 16 characters', 'v1.abc.AAAAAAAAAAAAAAA'],
    ['ids outside base64url', `v1.abc.${'+'.repeat(16)}`],
    ['more than MAX_CURSOR_IDS ids', `v1.abc.${'A'.repeat(16 * 201)}`],
    ['a watermark beyond a safe integer', 'v1.zzzzzzzzzzzz.'],
  ];
  for (const [name, value] of refused) {
    it(`refuses a Last-Event-ID with ${name}: 400 "Invalid Last-Event-ID"`, () => {
      expect(() => StreamCursor.decode(value, OVERLAP)).toThrow(new BadRequestException('Invalid Last-Event-ID'));
    });
  }

  it('accepts a Last-Event-ID with surrounding spaces and no ids', () => {
    expect(StreamCursor.decode('  v1.2s.  ', OVERLAP).since).toEqual(new Date(100 - OVERLAP));
  });
});
