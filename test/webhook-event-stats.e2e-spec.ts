import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { getModelToken } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Role } from '../src/common/role.enum.js';
import { AIVideo } from '../src/videos/ai-video.schema.js';
import { WebhookEventRecord, WebhookEventRepository } from '../src/inbound-webhook-events/webhook-event.repository.js';
import { WebhookEventStatus } from '../src/inbound-webhook-events/webhook-event.schema.js';
import { createTestApp, TestApp } from './utils/test-app.js';

/** A known data set in March 2020 (2 March is a Monday: ISO weeks 10 and 11), far from any live event. */
function event(at: string, source: string, status: WebhookEventStatus, eventType: string, httpStatus = 200): WebhookEventRecord {
  return {
    id: new Types.ObjectId().toHexString(), endpoint: `/test/${eventType}`, method: 'POST', payload: {}, source, eventType,
    status, httpStatus, durationMs: 1, createdAt: new Date(at),
  };
}
const times = (n: number, make: () => WebhookEventRecord) => Array.from({ length: n }, make);

describe('GET /api/webhook-events/stats (e2e)', () => {
  let t: TestApp;
  let admin: { Authorization: string };

  beforeAll(async () => {
    // Its events are dated 2020: kept forever, or the default retention's TTL index removes them mid-test.
    t = await createTestApp({ env: { WEBHOOK_EVENT_RETENTION_DAYS: '0', WEBHOOK_EVENT_REFUSED_RETENTION_DAYS: '0' } });
    admin = { Authorization: `Bearer ${(await t.given.loggedIn({ role: Role.SuperAdmin })).token}` };
    await t.app.get(WebhookEventRepository).insertBatch([
      ...times(3, () => event('2020-03-02T10:00:00Z', 'rck', 'accepted', 'success')),
      event('2020-03-02T11:00:00Z', 'rck', 'accepted', 'failure'),
      ...times(2, () => event('2020-03-03T09:00:00Z', 'rck', 'duplicate', 'success')),
      event('2020-03-03T09:30:00Z', 'rck', 'ignored', 'failure'),
      ...times(2, () => event('2020-03-03T10:00:00Z', 'rck', 'rejected', 'success', 401)),
      event('2020-03-03T10:00:00Z', 'rck', 'rejected', 'failure', 415),
      event('2020-03-03T23:59:59.999Z', 'heygen', 'rejected', 'avatar_video.success', 401),
      event('2020-03-10T08:00:00Z', 'heygen', 'accepted', 'avatar_video.success'),
      event('2020-03-10T08:00:00Z', 'heygen', 'accepted', 'avatar_video.fail'),
      event('2020-03-10T09:00:00Z', 'rck', 'failed', 'success', 500),
      event('2020-03-10T09:30:00Z', 'rck', 'conflict', 'success'),
      // Outside [from, to): to is exclusive.
      event('2020-03-01T23:59:59.999Z', 'rck', 'accepted', 'success'),
      event('2020-03-16T00:00:00Z', 'rck', 'accepted', 'success'),
    ]);
    // Videos completed in the window after 1 s, 2 s, … 20 s; one outside it; one failed.
    const video = (queuedAt: Date, completedAt: Date | undefined, status: string) => ({
      _id: new Types.ObjectId(), userId: new Types.ObjectId(), workspaceId: new Types.ObjectId(), productId: new Types.ObjectId(),
      template: 't', status, metadata: { templateId: 't', queuedAt, completedAt, aspect_ratio: '9:16', batchId: 'b', quotaPeriod: '2020-03' },
      createdAt: queuedAt, updatedAt: queuedAt,
    });
    const base = new Date('2020-03-05T12:00:00Z').getTime();
    await t.app.get<Model<AIVideo>>(getModelToken(AIVideo.name)).collection.insertMany([
      ...Array.from({ length: 20 }, (_, i) => video(new Date(base + i * 60_000), new Date(base + i * 60_000 + (i + 1) * 1000), 'completed')),
      video(new Date('2020-04-01T00:00:00Z'), new Date('2020-04-01T00:00:05Z'), 'completed'),
      video(new Date(base), undefined, 'failed'),
    ]);
  });
  afterAll(() => t.close());

  const stats = (query: Record<string, string>) => t.http().get('/api/webhook-events/stats').query(query).set(admin);
  const window = { from: '2020-03-02T00:00:00Z', to: '2020-03-16T00:00:00Z' };
  const counts = (c: Partial<Record<WebhookEventStatus | 'total', number>>) => ({ total: 0, accepted: 0, duplicate: 0, conflict: 0, ignored: 0, held: 0, released: 0, rejected: 0, failed: 0, ...c });

  it('answers exact numbers for a known data set, per day', async () => {
    const response = await stats({ ...window, groupBy: 'day' }).expect(200);
    expect(response.body).toEqual({
      success: true,
      data: {
        from: '2020-03-02T00:00:00.000Z',
        to: '2020-03-16T00:00:00.000Z',
        groupBy: 'day',
        total: 15,
        bySource: [
          { source: 'heygen', ...counts({ total: 3, accepted: 2, rejected: 1 }) },
          { source: 'rck', ...counts({ total: 12, accepted: 4, duplicate: 2, conflict: 1, ignored: 1, rejected: 3, failed: 1 }) },
        ],
        outcomes: { succeeded: 4, failed: 2, successRate: 0.6667, failureRate: 0.3333 },
        generationTime: { videos: 20, averageMs: 10500, p95Ms: 19000 },
        volume: [
          { period: '2020-03-02', ...counts({ total: 4, accepted: 4 }) },
          { period: '2020-03-03', ...counts({ total: 7, duplicate: 2, ignored: 1, rejected: 4 }) },
          { period: '2020-03-10', ...counts({ total: 4, accepted: 2, conflict: 1, failed: 1 }) },
        ],
        refused: [
          { source: 'heygen', total: 1, byHttpStatus: { 401: 1 } },
          { source: 'rck', total: 3, byHttpStatus: { 401: 2, 415: 1 } },
        ],
      },
    });
  });

  it('groups by hour (UTC)', async () => {
    const hours = (await stats({ from: '2020-03-02T00:00:00Z', to: '2020-03-04T00:00:00Z', groupBy: 'hour' }).expect(200)).body.data.volume;
    expect(hours.map((h: { period: string; total: number; accepted: number }) => [h.period, h.total, h.accepted])).toEqual([
      ['2020-03-02T10', 3, 3], ['2020-03-02T11', 1, 1], ['2020-03-03T09', 3, 0], ['2020-03-03T10', 3, 0], ['2020-03-03T23', 1, 0],
    ]);
  });

  it('groups by ISO week and by month', async () => {
    const weeks = (await stats({ ...window, groupBy: 'week' }).expect(200)).body.data.volume;
    expect(weeks.map((w: { period: string; total: number }) => [w.period, w.total])).toEqual([['2020-W10', 11], ['2020-W11', 4]]);
    const months = (await stats({ ...window, groupBy: 'month' }).expect(200)).body.data.volume;
    expect(months.map((m: { period: string; total: number }) => [m.period, m.total])).toEqual([['2020-03', 15]]);
  });

  it('defaults to the last 30 days, and says when there is nothing', async () => {
    const data = (await stats({}).expect(200)).body.data;
    expect(new Date(data.to).getTime() - new Date(data.from).getTime()).toBe(30 * 24 * 3600_000);
    expect(data.groupBy).toBe('day');
    expect(data.total).toBe(0);
    expect(data.outcomes).toEqual({ succeeded: 0, failed: 0, successRate: null, failureRate: null });
    expect(data.generationTime).toEqual({ videos: 0, averageMs: null, p95Ms: null });
  });

  it('refuses a bad window or period', async () => {
    expect((await stats({ from: window.to, to: window.from }).expect(400)).body.message).toBe('from must be before to');
    expect((await stats({ groupBy: 'year' }).expect(400)).body.message).toBe('groupBy must be one of hour, day, week, month');
    expect((await stats({ from: 'soon' }).expect(400)).body.message).toBe('from must be a date (ISO 8601)');
  });
});
