import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { getModelToken } from '@nestjs/mongoose';
import type { Document } from 'mongodb';
import { Model, Types } from 'mongoose';
import { assertUsesIndex, indexesUsed } from '@videogen/mongo-wire-server/explain-plan';
import { failureReasonsPipeline, scopedRange } from '../src/monitoring/created-window.js';
import { deliveryVolumePipeline } from '../src/monitoring/webhook-event.statistics.js';
import { Reel } from '../src/reels/reel.schema.js';
import { AIVideo } from '../src/videos/ai-video.schema.js';
import { RETENTION_INDEX_NAME, WebhookEvent, WEBHOOK_EVENT_INDEX_NAMES } from '../src/inbound-webhook-events/webhook-event.schema.js';
import { createTestApp, TestApp } from './utils/test-app.js';

/**
 * The dashboard's queries read indexes, asserted from `explain` as the event log's are (on the
 * wire server, and on a real MongoDB with `MONGODB_URI=… npm test -- monitoring-indexes`).
 */
describe('Monitoring queries use indexes (explain)', () => {
  let t: TestApp;
  const videos = () => t.app.get<Model<AIVideo>>(getModelToken(AIVideo.name));
  const reels = () => t.app.get<Model<Reel>>(getModelToken(Reel.name));
  const events = () => t.app.get<Model<WebhookEvent>>(getModelToken(WebhookEvent.name));
  const workspaceId = new Types.ObjectId().toHexString();
  const from = new Date(Date.now() - 24 * 3600_000);
  const to = new Date();

  beforeAll(async () => {
    t = await createTestApp();
    const statuses = ['pending', 'generating', 'completed', 'failed'];
    await videos().collection.insertMany(Array.from({ length: 120 }, (_, i) => ({
      userId: new Types.ObjectId(), workspaceId: i % 3 ? new Types.ObjectId(workspaceId) : new Types.ObjectId(), productId: new Types.ObjectId(),
      template: 't', status: statuses[i % 4], error: i % 4 === 3 ? `reason ${i % 5}` : undefined,
      metadata: { templateId: 't', queuedAt: new Date(), aspect_ratio: '9:16', batchId: 'b', quotaPeriod: '2026-11', dispatchedAt: new Date(Date.now() - i * 60_000) },
      createdAt: new Date(Date.now() - i * 3600_000), updatedAt: new Date(),
    })));
  });
  afterAll(() => t.close());

  const explainFind = async (model: Model<any>, filter: Record<string, unknown>, sort?: Record<string, 1 | -1>) =>
    (await (sort ? model.find(filter).sort(sort) : model.find(filter)).explain('queryPlanner')) as unknown as Document;

  it('counts by status in a window read {status, createdAt}, and for a workspace {workspaceId, status, createdAt}', async () => {
    for (const model of [videos(), reels()]) {
      assertUsesIndex(await explainFind(model, { ...scopedRange({ from, to }), status: 'failed' }), 'status_1_createdAt_-1');
      assertUsesIndex(await explainFind(model, { ...scopedRange({ from, to, workspaceId }), status: 'failed' }), 'workspaceId_1_status_1_createdAt_-1');
      // The stream's all-time counters: an index led by status (or workspace and status).
      expect(indexesUsed(await explainFind(model, { status: 'failed' }))[0]).toMatch(/^status_1_/);
      expect(indexesUsed(await explainFind(model, { ...scopedRange({ workspaceId }), status: 'failed' }))[0]).toMatch(/^workspaceId_1_status_1_/);
    }
  });

  it('failure reasons aggregate through {status, createdAt}', async () => {
    for (const model of [videos(), reels()]) {
      const explain = (await model.aggregate(failureReasonsPipeline({ from, to }, 10)).explain('queryPlanner')) as unknown as Document;
      assertUsesIndex(explain, 'status_1_createdAt_-1');
    }
  });

  it('the videos generating longest read {status, metadata.dispatchedAt} in order', async () => {
    const explain = await explainFind(videos(), { status: 'generating', 'metadata.dispatchedAt': { $ne: null } }, { 'metadata.dispatchedAt': 1, _id: 1 });
    assertUsesIndex(explain, 'status_1_metadata.dispatchedAt_1');
  });

  it('the stream\'s look back reads the event log by time', async () => {
    const explain = await explainFind(events(), { createdAt: { $gte: from }, _id: { $nin: [new Types.ObjectId()] } }, { createdAt: 1, _id: 1 });
    assertUsesIndex(explain, WEBHOOK_EVENT_INDEX_NAMES.byTime);
  });

  it('the delivery buckets aggregate through a createdAt index of the event log, or its workspace one', async () => {
    const explain = async (workspace?: string) => (await events().aggregate(deliveryVolumePipeline(from, to, 60, workspace)).explain('queryPlanner')) as unknown as Document;
    // The retention TTL index is on createdAt alone: as good for a window, as the stats' test allows.
    expect([WEBHOOK_EVENT_INDEX_NAMES.byTime, RETENTION_INDEX_NAME]).toContain(indexesUsed(await explain())[0]);
    assertUsesIndex(await explain(workspaceId), WEBHOOK_EVENT_INDEX_NAMES.byWorkspace);
  });
});
