import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { getModelToken } from '@nestjs/mongoose';
import type { Document } from 'mongodb';
import { Model, Types } from 'mongoose';
import { assertUsesIndex, indexesUsed, planSummary } from '@videogen/mongo-wire-server/explain-plan';
import { generationTimesPipeline } from '../src/monitoring/video.statistics.js';
import { statsPipeline } from '../src/monitoring/webhook-event.statistics.js';
import { AIVideo } from '../src/videos/ai-video.schema.js';
import { deliveryLookup } from '../src/inbound-webhook-events/inbound-delivery.repository.js';
import { WebhookDelivery } from '../src/inbound-webhook-events/webhook-delivery.schema.js';
import {
  listQuery,
  WEBHOOK_EVENT_LIST_SORT,
  WebhookEventFilter,
  WebhookEventRecord,
  WebhookEventRepository,
} from '../src/inbound-webhook-events/webhook-event.repository.js';
import { WEBHOOK_EVENT_INDEX_NAMES as INDEX, RETENTION_INDEX_NAME, WebhookEvent } from '../src/inbound-webhook-events/webhook-event.schema.js';
import { endpointForms } from '../src/inbound-webhook-events/webhook-events.service.js';
import { createTestApp, TestApp } from './utils/test-app.js';

/**
 * Every query the event log runs reads an index, asserted from `explain` the same way on the wire
 * server and on a real MongoDB (`MONGODB_URI=… npm test -- webhook-event-indexes`).
 */
describe('Webhook event log queries use indexes (explain)', () => {
  let t: TestApp;
  const workspaces = Array.from({ length: 4 }, () => new Types.ObjectId().toHexString());
  const events = () => t.app.get<Model<WebhookEvent>>(getModelToken(WebhookEvent.name));

  beforeAll(async () => {
    t = await createTestApp();
    const statuses = ['accepted', 'duplicate', 'ignored', 'rejected', 'failed'] as const;
    await t.app.get(WebhookEventRepository).insertBatch(Array.from({ length: 200 }, (_, i): WebhookEventRecord => ({
      id: new Types.ObjectId().toHexString(), endpoint: i % 2 ? '/internal/videos/success' : '/internal/videos/failure', method: 'POST',
      payload: { videoId: `v${i % 40}` }, source: i % 3 ? 'rck' : 'heygen', eventType: i % 2 ? 'success' : 'failure', videoId: `v${i % 40}`,
      status: statuses[i % 5], httpStatus: 200, durationMs: 1, createdAt: new Date(Date.now() - i * 60_000),
      ...(i % 5 !== 3 && { workspaceId: workspaces[i % 4] }),
    })));
  });
  afterAll(() => t.close());

  /**
   * A window on createdAt alone, unsorted, reads either createdAt index: byTime, or the retention
   * TTL index that exists by default (WEBHOOK_EVENT_RETENTION_DAYS); either reads only the window.
   */
  const CREATED_AT = [INDEX.byTime, RETENTION_INDEX_NAME];
  const assertUsesOneOf = (explain: Document, names: string | string[]) => {
    if (typeof names === 'string') return assertUsesIndex(explain, names);
    if (!indexesUsed(explain).some((name) => names.includes(name))) {
      throw new Error(`expected the winning plan to use one of ${names.join(', ')}; winning plan: ${planSummary(explain)}`);
    }
  };

  const from = new Date(Date.now() - 3600_000);
  const to = new Date();
  const cases: Array<[string, WebhookEventFilter, string]> = [
    ['no filter', {}, INDEX.byTime],
    ['from / to', { from, to }, INDEX.byTime],
    ['endpoint (short form: several paths)', { endpoints: endpointForms('/videos/success') }, INDEX.byEndpoint],
    ['endpoint (full path)', { endpoints: endpointForms('/internal/videos/success') }, INDEX.byEndpoint],
    ['videoId', { videoId: 'v7' }, INDEX.byVideo],
    ['source', { source: 'heygen' }, INDEX.bySource],
    ['status', { status: 'failed' }, INDEX.byStatus],
    ['eventType', { eventType: 'failure' }, INDEX.byEventType],
    ['status since T (a bulk replay)', { status: 'failed', from }, INDEX.byStatus],
    ['videoId within from / to', { videoId: 'v7', from, to }, INDEX.byVideo],
    ['workspaceId', { workspaceId: workspaces[1] }, INDEX.byWorkspace],
    ['workspaceId within from / to', { workspaceId: workspaces[1], from, to }, INDEX.byWorkspace],
    ['reelId', { reelId: 'v7' }, INDEX.byVideo],
    // A 4xx or 5xx implies its status (statusFor), so the status index serves it: no index of its own.
    ['httpStatus (a 4xx)', { httpStatus: 404 }, INDEX.byStatus],
    ['httpStatus (a 5xx) since T', { httpStatus: 503, from }, INDEX.byStatus],
  ];

  for (const [name, filter, index] of cases) {
    it(`list by ${name}: the page and its count read ${index}`, async () => {
      const query = listQuery(filter);
      const page = (await events().find(query).sort(WEBHOOK_EVENT_LIST_SORT).skip(20).limit(20).explain('queryPlanner')) as unknown as Document;
      assertUsesIndex(page, index);
      // countDocuments runs this aggregation (unfiltered, the list uses the collection's count instead).
      if (Object.keys(query).length === 0) return;
      const count = (await events().aggregate([{ $match: query }, { $group: { _id: 1, n: { $sum: 1 } } }]).explain('queryPlanner')) as unknown as Document;
      assertUsesOneOf(count, index === INDEX.byTime ? CREATED_AT : index);
    });
  }

  it('stats: one aggregation over the window, through a createdAt index', async () => {
    for (const period of ['day', 'week', 'month'] as const) {
      const explain = (await events().aggregate(statsPipeline(from, to, period)).explain('queryPlanner')) as unknown as Document;
      assertUsesOneOf(explain, CREATED_AT);
    }
  });

  it('stats of one workspace: through the workspace index', async () => {
    for (const period of ['hour', 'day'] as const) {
      const explain = (await events().aggregate(statsPipeline(from, to, period, workspaces[2])).explain('queryPlanner')) as unknown as Document;
      assertUsesIndex(explain, INDEX.byWorkspace);
    }
  });

  it('stats of one workspace: its videos\' generation times through the workspace, status and completedAt index', async () => {
    const videos = t.app.get<Model<AIVideo>>(getModelToken(AIVideo.name));
    const explain = (await videos.aggregate(generationTimesPipeline(from, to, workspaces[2])).explain('queryPlanner')) as unknown as Document;
    assertUsesIndex(explain, 'workspaceId_1_status_1_metadata.completedAt_1');
  });

  it('stats: generation times through the videos\' status and completedAt index', async () => {
    const videos = t.app.get<Model<AIVideo>>(getModelToken(AIVideo.name));
    const explain = (await videos.aggregate(generationTimesPipeline(from, to)).explain('queryPlanner')) as unknown as Document;
    assertUsesIndex(explain, 'status_1_metadata.completedAt_1');
  });

  for (const ids of [['msg_1'], ['msg_1', 'msg_2', 'msg_3']]) {
    it(`the duplicate-delivery lookup of ${ids.length} id(s) at once reads its unique index`, async () => {
      const deliveries = t.app.get<Model<WebhookDelivery>>(getModelToken(WebhookDelivery.name));
      const explain = (await deliveries.find(deliveryLookup('rck', ids)).explain('queryPlanner')) as unknown as Document;
      assertUsesIndex(explain, 'source_1_deliveryId_1');
    });
  }
});
