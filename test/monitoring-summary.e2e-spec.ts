import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { getModelToken } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Role } from '../src/common/role.enum.js';
import { Reel } from '../src/reels/reel.schema.js';
import { AIVideo } from '../src/videos/ai-video.schema.js';
import { WebhookEvent } from '../src/inbound-webhook-events/webhook-event.schema.js';
import { createTestApp, TestApp } from './utils/test-app.js';

/** GET /api/monitoring/summary: exact numbers for a known data set, the workspace filter, roles and validation. */
describe('GET /api/monitoring/summary (e2e)', () => {
  let t: TestApp;
  let admin: { Authorization: string };
  const workspace = new Types.ObjectId();
  const other = new Types.ObjectId();
  const now = Date.now();
  const hoursAgo = (h: number) => new Date(now - h * 3600_000);

  beforeAll(async () => {
    t = await createTestApp();
    admin = { Authorization: `Bearer ${(await t.given.loggedIn({ role: Role.SuperAdmin })).token}` };
    const video = (status: string, createdAt: Date, ws: Types.ObjectId, extra: { error?: string; dispatchedAt?: Date } = {}) => ({
      userId: new Types.ObjectId(), workspaceId: ws, productId: new Types.ObjectId(), template: 'Showcase', status,
      ...(extra.error && { error: extra.error }),
      metadata: { templateId: 't', queuedAt: createdAt, aspect_ratio: '9:16', batchId: 'b', quotaPeriod: '2026-11', ...(extra.dispatchedAt && { dispatchedAt: extra.dispatchedAt, externalJobId: 'job-1' }) },
      createdAt, updatedAt: createdAt,
    });
    await t.app.get<Model<AIVideo>>(getModelToken(AIVideo.name)).collection.insertMany([
      video('generating', hoursAgo(1), workspace, { dispatchedAt: hoursAgo(1) }),
      video('generating', hoursAgo(30), other, { dispatchedAt: hoursAgo(30) }), // outside the window, still stuck
      video('completed', hoursAgo(2), workspace),
      video('failed', hoursAgo(3), workspace, { error: 'Template not found' }),
      video('failed', hoursAgo(4), other, { error: 'Template not found' }),
      video('failed', hoursAgo(5), other, { error: 'RCK timeout' }),
      video('pending', hoursAgo(48), workspace),
    ]);
    const reel = (status: string, createdAt: Date, ws: Types.ObjectId, error?: string) => ({
      userId: new Types.ObjectId(), workspaceId: ws, title: 'r', script: 's', avatarId: 'a', voiceId: 'v', aspectRatio: '9:16',
      dimension: { width: 720, height: 1280 }, status, ...(error && { error }), generateAttempts: 0, notifyPending: false, createdAt, updatedAt: createdAt,
    });
    await t.app.get<Model<Reel>>(getModelToken(Reel.name)).collection.insertMany([
      reel('requested', hoursAgo(1), workspace),
      reel('failed', hoursAgo(2), other, 'Avatar not found'),
      reel('processing', hoursAgo(100), other),
    ]);
  });
  afterAll(() => t.close());

  const summary = (query: Record<string, string> = {}, headers: Record<string, string> = admin) =>
    t.http().get('/api/monitoring/summary').query(query).set(headers);
  const window = () => ({ from: hoursAgo(24).toISOString(), to: new Date(now + 1000).toISOString() });

  it('counts videos and reels created in the window by status, the jobs, stuck videos and failure reasons', async () => {
    const data = (await summary(window()).expect(200)).body.data;
    expect(data.videos).toEqual({ pending: 0, generating: 1, completed: 1, failed: 3 });
    expect(data.reels).toEqual({ requested: 1, approved: 0, rejected: 0, processing: 0, completed: 0, failed: 1 });
    expect(data.jobs).toEqual({ waiting: expect.any(Number), running: expect.any(Number), failed: expect.any(Number) });
    expect(data.stuckGenerating.map((v: { workspaceId: string }) => v.workspaceId)).toEqual([other.toHexString(), workspace.toHexString()]);
    expect(data.stuckGenerating[0]).toEqual(expect.objectContaining({ template: 'Showcase', externalJobId: 'job-1', generatingForMs: expect.any(Number) }));
    expect(data.stuckGenerating[0].generatingForMs).toBeGreaterThanOrEqual(30 * 3600_000);
    expect(data.failureReasons).toEqual([
      { kind: 'video', reason: 'Template not found', count: 2 },
      { kind: 'reel', reason: 'Avatar not found', count: 1 },
      { kind: 'video', reason: 'RCK timeout', count: 1 },
    ]);
  });

  it('narrows everything to one workspace', async () => {
    const data = (await summary({ ...window(), workspaceId: workspace.toHexString() }).expect(200)).body.data;
    expect(data.workspaceId).toBe(workspace.toHexString());
    expect(data.videos).toEqual({ pending: 0, generating: 1, completed: 1, failed: 1 });
    expect(data.reels).toEqual({ requested: 1, approved: 0, rejected: 0, processing: 0, completed: 0, failed: 0 });
    expect(data.stuckGenerating).toHaveLength(1);
    expect(data.failureReasons).toEqual([{ kind: 'video', reason: 'Template not found', count: 1 }]);
  });

  it('defaults to the last 24 hours', async () => {
    const data = (await summary().expect(200)).body.data;
    expect(Date.parse(data.to) - Date.parse(data.from)).toBe(24 * 3600_000);
    expect(data.videos.pending).toBe(0);
  });

  it('counts a video as stuck only past the threshold, and says which threshold it used', async () => {
    const byDefault = (await summary(window()).expect(200)).body.data;
    expect(byDefault.stuckAfterMs).toBe(30 * 60_000);
    // Two hours: the video generating for one hour is not stuck yet, the one for thirty is.
    const twoHours = (await summary({ ...window(), stuckAfterMinutes: '120' }).expect(200)).body.data;
    expect(twoHours.stuckAfterMs).toBe(120 * 60_000);
    expect(twoHours.stuckGenerating.map((v: { workspaceId: string }) => v.workspaceId)).toEqual([other.toHexString()]);
    expect((await summary({ ...window(), stuckAfterMinutes: '6000' }).expect(200)).body.data.stuckGenerating).toEqual([]);
  });

  it('buckets the deliveries by a size chosen from the range: 5 minutes for an hour, an hour for a day, a day for 30 days', async () => {
    const at = (iso: string) => new Date(`2026-01-01T${iso}Z`);
    const event = (createdAt: Date, status: string, ws?: Types.ObjectId) => ({
      source: 'rck', endpoint: '/internal/videos/success', method: 'POST', status, httpStatus: status === 'failed' ? 500 : status === 'rejected' ? 401 : 200,
      durationMs: 3, headers: {}, payload: {}, ...(ws && { workspaceId: ws }), createdAt,
    });
    await t.app.get<Model<WebhookEvent>>(getModelToken(WebhookEvent.name)).collection.insertMany([
      event(at('10:02:00'), 'accepted', workspace),
      event(at('10:04:59.999'), 'accepted', workspace),
      event(at('10:07:00'), 'failed', other),
      event(at('10:58:00'), 'rejected'),
      event(at('11:00:00'), 'accepted', workspace), // the range's end is exclusive
    ]);
    const hour = (await summary({ from: at('10:00:00').toISOString(), to: at('11:00:00').toISOString() }).expect(200)).body.data.deliveries;
    expect(hour.bucketMinutes).toBe(5);
    expect(hour.buckets).toHaveLength(12);
    expect(hour.buckets[0]).toEqual({ start: at('10:00:00').toISOString(), total: 2, accepted: 2, duplicate: 0, conflict: 0, ignored: 0, rejected: 0, failed: 0, held: 0, released: 0 });
    expect(hour.buckets[1]).toEqual(expect.objectContaining({ start: at('10:05:00').toISOString(), total: 1, failed: 1 }));
    expect(hour.buckets.slice(2, 11).every((b: { total: number }) => b.total === 0)).toBe(true);
    expect(hour.buckets[11]).toEqual(expect.objectContaining({ start: at('10:55:00').toISOString(), total: 1, rejected: 1 }));

    const day = (await summary({ from: at('00:00:00').toISOString(), to: new Date(at('00:00:00').getTime() + 24 * 3600_000).toISOString() }).expect(200)).body.data.deliveries;
    expect(day.bucketMinutes).toBe(60);
    expect(day.buckets).toHaveLength(24);
    expect(day.buckets[10]).toEqual(expect.objectContaining({ start: at('10:00:00').toISOString(), total: 4, accepted: 2, failed: 1, rejected: 1 }));
    expect(day.buckets[11]).toEqual(expect.objectContaining({ start: at('11:00:00').toISOString(), total: 1 }));

    const sevenDays = (await summary({ from: new Date(at('00:00:00').getTime() - 6 * 24 * 3600_000).toISOString(), to: new Date(at('00:00:00').getTime() + 24 * 3600_000).toISOString() }).expect(200)).body.data.deliveries;
    expect(sevenDays.bucketMinutes).toBe(360);
    expect(sevenDays.buckets).toHaveLength(28);
    const month = (await summary({ from: new Date(at('00:00:00').getTime() - 29 * 24 * 3600_000).toISOString(), to: new Date(at('00:00:00').getTime() + 24 * 3600_000).toISOString() }).expect(200)).body.data.deliveries;
    expect(month.bucketMinutes).toBe(1440);
    expect(month.buckets).toHaveLength(30);
    expect(month.buckets[29]).toEqual(expect.objectContaining({ start: at('00:00:00').toISOString(), total: 5 }));

    // One workspace's deliveries only.
    const mine = (await summary({ from: at('10:00:00').toISOString(), to: at('11:00:00').toISOString(), workspaceId: workspace.toHexString() }).expect(200)).body.data.deliveries;
    expect(mine.buckets.map((b: { total: number }) => b.total)).toEqual([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('is for superadmins only, and refuses bad input in the envelope', async () => {
    await summary({}, {}).expect(401);
    const { token } = await t.given.loggedIn({ role: Role.Producer });
    await summary({}, { Authorization: `Bearer ${token}` }).expect(403);
    expect((await summary({ from: 'yesterday' }).expect(400)).body).toEqual(expect.objectContaining({ success: false, message: 'from must be a date (ISO 8601)' }));
    expect((await summary({ workspaceId: 'nope' }).expect(400)).body.message).toBe('workspaceId must be a valid ObjectId');
    expect((await summary({ from: window().to, to: window().from }).expect(400)).body).toEqual({ success: false, message: 'from must be before to' });
    expect((await summary({ limit: '5' }).expect(400)).body.success).toBe(false);
    expect((await summary({ stuckAfterMinutes: '0' }).expect(400)).body).toEqual(expect.objectContaining({ success: false, message: 'stuckAfterMinutes must be between 1 and 10080' }));
    expect((await summary({ stuckAfterMinutes: 'soon' }).expect(400)).body.message).toBe('stuckAfterMinutes must be a whole number of minutes');
  });
});
