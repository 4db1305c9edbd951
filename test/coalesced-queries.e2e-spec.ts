import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { getModelToken } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { VideoCallbacksService } from '../src/videos/video-callbacks.service.js';
import { AIVideo } from '../src/videos/ai-video.schema.js';
import { InboundDeliveryRepository } from '../src/inbound-webhook-events/inbound-delivery.repository.js';
import { WebhookDelivery } from '../src/inbound-webhook-events/webhook-delivery.schema.js';
import { FakeRck } from './utils/fake-rck.js';
import { hookable, hooked } from './utils/hookable.js';
import { rckHeaders } from './utils/rck-signing.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';
import { WebhookEventRecorder } from '../src/inbound-webhook-events/webhook-event.recorder.js';
import { eventually } from './utils/eventually.js';
import { eventModel } from './utils/webhook-events.js';
import { Role } from '../src/common/role.enum.js';
import { ProductRepository } from '../src/products/product.repository.js';
import { Product } from '../src/products/product.schema.js';
import { VideoBatch } from '../src/videos/video-batch.schema.js';
import { WebhookEndpoint } from '../src/outbound-webhooks/webhook-endpoint.schema.js';
import { WebhookMessage } from '../src/outbound-webhooks/webhook-message.schema.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';

/**
 * The per-delivery queries (the delivery id lookup, the video read, the delivery remembered, the
 * owed effects settled) are shared by the deliveries that arrive together: one command each way
 * for all of them, and every delivery still gets its own answer, on the real database.
 */
describe('Queries shared by concurrent deliveries (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;

  beforeAll(async () => {
    rck = await FakeRck.start();
    t = await createTestApp({ env: videosTestEnv(rck, { BULK_GENERATE_MAX_PRODUCTS: '50' }), overrides: [hookable(VideoCallbacksService)] });
  });
  afterAll(async () => {
    await t.close();
    await rck.stop();
  });

  /**
   * Counts the commands a model's collection is sent through the method named, those whose first
   * argument `matches` (the app's own jobs, e.g. the video maintenance sweep, query alongside).
   */
  function countCalls(model: Model<any>, method: 'find' | 'insertMany' | 'bulkWrite' | 'findOneAndUpdate', matches: (first: any) => boolean = () => true): { count: () => number; restore: () => void } {
    const collection = model.collection as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = collection[method];
    let count = 0;
    collection[method] = function (this: unknown, ...args: unknown[]) {
      if (matches(args[0])) count++;
      return original.apply(this, args);
    };
    return { count: () => count, restore: () => void (collection[method] = original) };
  }

  const givenVideos = async (count: number) => (await t.given.videos(count)).ids;

  it('reads the videos asked for together with one command, each caller getting its own', async () => {
    const ids = await givenVideos(3);
    const unknown = new Types.ObjectId().toHexString();
    const mine = new Set([...ids, unknown]);
    const finds = countCalls(t.app.get<Model<AIVideo>>(getModelToken(AIVideo.name)), 'find', (filter) =>
      [filter?._id, ...(filter?._id?.$in ?? [])].some((id) => id instanceof Types.ObjectId && mine.has(id.toHexString())));
    try {
      const found = await Promise.all([ids[0], ids[1], unknown, ids[2], ids[0].toUpperCase()].map((id) => t.app.get(AIVideoRepository).findById(id)));
      expect(found.map((video) => video?.id ?? null)).toEqual([ids[0], ids[1], null, ids[2], ids[0]]);
      expect(finds.count()).toBe(1);
    } finally {
      finds.restore();
    }
  });

  it('looks up and remembers delivery ids together, and the first answer for an id stands', async () => {
    const deliveries = t.app.get(InboundDeliveryRepository);
    const model = t.app.get<Model<WebhookDelivery>>(getModelToken(WebhookDelivery.name));
    const mine = (id: unknown) => typeof id === 'string' && ['msg_a', 'msg_b', 'msg_unknown'].includes(id);
    const inserts = countCalls(model, 'insertMany', (docs) => docs.some((doc: { deliveryId: unknown }) => mine(doc.deliveryId)));
    const finds = countCalls(model, 'find', (filter) => mine(filter?.deliveryId) || (filter?.deliveryId?.$in ?? []).some(mine));
    try {
      await Promise.all([
        deliveries.remember('rck', 'msg_a', { httpStatus: 200, response: { first: 'a' } }),
        deliveries.remember('rck', 'msg_b', { httpStatus: 200, response: { first: 'b' } }),
        // The same id again in the same batch, and an id of another source: neither is an error.
        deliveries.remember('rck', 'msg_a', { httpStatus: 200, response: { second: 'a' } }),
        deliveries.remember('heygen', 'msg_a', { httpStatus: 200, response: { heygen: 'a' } }),
      ]);
      expect(inserts.count()).toBe(1);
      // Already stored: a later batch keeps the first answer too.
      await deliveries.remember('rck', 'msg_b', { httpStatus: 200, response: { second: 'b' } });

      const found = await Promise.all([
        deliveries.findHandled('rck', 'msg_a'),
        deliveries.findHandled('rck', 'msg_b'),
        deliveries.findHandled('heygen', 'msg_a'),
        deliveries.findHandled('rck', 'msg_unknown'),
        deliveries.findHandled('heygen', 'msg_b'),
      ]);
      expect(found).toEqual([
        { httpStatus: 200, response: { first: 'a' } },
        { httpStatus: 200, response: { first: 'b' } },
        { httpStatus: 200, response: { heygen: 'a' } },
        null,
        null,
      ]);
      // One command per source.
      expect(finds.count()).toBe(2);
    } finally {
      inserts.restore();
      finds.restore();
    }
  });

  it('stores the other deliveries of a batch when one cannot be stored, and fails only that one', async () => {
    const deliveries = t.app.get(InboundDeliveryRepository);
    const results = await Promise.allSettled([
      deliveries.remember('rck', 'msg_ok_1', { httpStatus: 200, response: { n: 1 } }),
      // A key the driver cannot encode (NUL byte): the batch cannot be sent as it is.
      deliveries.remember('rck', 'msg_bad', { httpStatus: 200, response: { 'a\u0000b': 1 } }),
      deliveries.remember('rck', 'msg_ok_2', { httpStatus: 200, response: { n: 2 } }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await Promise.all(['msg_ok_1', 'msg_bad', 'msg_ok_2'].map((id) => deliveries.findHandled('rck', id)))).toEqual([
      { httpStatus: 200, response: { n: 1 } },
      null,
      { httpStatus: 200, response: { n: 2 } },
    ]);
  });

  it('fails only the lookups of the source whose query failed', async () => {
    const deliveries = t.app.get(InboundDeliveryRepository);
    await deliveries.remember('rck', 'msg_lookup', { httpStatus: 200, response: { ok: true } });
    const collection = t.app.get<Model<WebhookDelivery>>(getModelToken(WebhookDelivery.name)).collection as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = collection.find;
    collection.find = function (this: unknown, ...args: unknown[]) {
      if ((args[0] as { source?: string }).source === 'heygen') throw new Error('heygen lookup refused (injected)');
      return original.apply(this, args);
    };
    try {
      const results = await Promise.allSettled([deliveries.findHandled('heygen', 'evt_1'), deliveries.findHandled('rck', 'msg_lookup')]);
      expect(results).toEqual([
        { status: 'rejected', reason: new Error('heygen lookup refused (injected)') },
        { status: 'fulfilled', value: { httpStatus: 200, response: { ok: true } } },
      ]);
    } finally {
      collection.find = original;
    }
  });

  it('settles the effects paid together with one command, each payment its own', async () => {
    const ids = await givenVideos(3);
    const model = t.app.get<Model<AIVideo>>(getModelToken(AIVideo.name));
    // Owed just now (the maintenance job leaves such entries to their request), updated long ago.
    const at = new Date();
    const before = new Date('2025-01-01T00:00:00Z');
    const owe = (id: string, versions: number[]) =>
      model.collection.updateOne({ _id: new Types.ObjectId(id) }, { $set: { 'metadata.owed': versions.map((version) => ({ version, at })), updatedAt: before } });
    await owe(ids[0], [1, 2]);
    await owe(ids[1], [1]);
    await owe(ids[2], [1]);
    const mine = new Set(ids);
    const writes = countCalls(model, 'bulkWrite', (statements) => statements.some((s: any) => mine.has(s.updateOne?.filter?._id?.toHexString())));
    const repository = t.app.get(AIVideoRepository);
    try {
      // Two versions of one video, one version each of another, and a version nobody owes (no change).
      await Promise.all([repository.settleOwed(ids[0], 2), repository.settleOwed(ids[1], 1), repository.settleOwed(ids[0], 1), repository.settleOwed(ids[2], 7)]);
      expect(writes.count()).toBe(1);
    } finally {
      writes.restore();
    }
    const stored = await model.find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) } }).lean().exec();
    const byId = new Map(stored.map((video) => [video._id.toHexString(), video]));
    expect(ids.map((id) => byId.get(id)!.metadata.owed!.map((owed) => owed.version))).toEqual([[], [], [1]]);
    // As Mongoose's timestamps would: every video a statement matched is marked updated.
    for (const id of ids) expect(byId.get(id)!.updatedAt.getTime()).toBeGreaterThan(before.getTime());
  });

  it('fails only the settlement the database refused, and every one of a batch it could not take', async () => {
    const ids = await givenVideos(3);
    const model = t.app.get<Model<AIVideo>>(getModelToken(AIVideo.name));
    for (const id of ids) await model.collection.updateOne({ _id: new Types.ObjectId(id) }, { $set: { 'metadata.owed': [{ version: 1, at: new Date() }] } });
    const collection = model.collection as unknown as Record<string, (...args: any[]) => Promise<unknown>>;
    const original = collection.bulkWrite;
    const repository = t.app.get(AIVideoRepository);
    const owedVersions = async () => {
      const stored = await model.find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) } }).lean().exec();
      const byId = new Map(stored.map((video) => [video._id.toHexString(), video.metadata.owed!.map((owed) => owed.version)]));
      return ids.map((id) => byId.get(id));
    };
    try {
      // The server refuses the statement for ids[1] alone (as mongod reports a write error), and applies the others.
      collection.bulkWrite = async function (this: unknown, statements: any[], options: unknown) {
        const refused = statements.findIndex((s) => s.updateOne.filter._id.toHexString() === ids[1]);
        await original.call(this, statements.filter((_, i) => i !== refused), options);
        throw Object.assign(new Error('write errors (injected)'), { writeErrors: [{ index: refused, code: 2, errmsg: 'Cannot apply $pull (injected)' }] });
      };
      const results = await Promise.allSettled(ids.map((id) => repository.settleOwed(id, 1)));
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason.message).toBe('Cannot apply $pull (injected)');
      expect(await owedVersions()).toEqual([[], [1], []]);

      // A command the database did not take at all fails each settlement in it, and changes nothing.
      collection.bulkWrite = async () => {
        throw new Error('connection closed (injected)');
      };
      const unreachable = await Promise.allSettled([repository.settleOwed(ids[1], 1), repository.settleOwed(ids[0], 1)]);
      expect(unreachable.map((result) => result.status === 'rejected' && result.reason.message)).toEqual(['connection closed (injected)', 'connection closed (injected)']);
      expect(await owedVersions()).toEqual([[], [1], []]);
    } finally {
      collection.bulkWrite = original;
    }
    // An id that is no ObjectId fails its own call, not the others of its batch.
    const mixed = await Promise.allSettled([repository.settleOwed('not-an-id', 1), repository.settleOwed(ids[1], 1)]);
    expect(mixed.map((result) => result.status)).toEqual(['rejected', 'fulfilled']);
    expect(await owedVersions()).toEqual([[], [], []]);
  });

  it('answers fifty concurrent callbacks for fifty videos each with its own video, and a repeat of each as the first', async () => {
    const ids = await givenVideos(50);
    const sent = ids.map((videoId, i) => {
      const raw = JSON.stringify({ videoId, youtubeVideoId: `yt_${i}` });
      return { raw, headers: rckHeaders(raw) };
    });
    const post = ({ raw, headers }: (typeof sent)[number]) => t.http().post('/internal/videos/success').set(headers).send(raw);

    // Counts the handler's runs: a repeat answered from the remembered answer does not run it.
    const callbacks = hooked(t.app.get(VideoCallbacksService));
    let handled = 0;
    callbacks.hooks.succeeded = (next, ...args) => {
      handled++;
      return next(...args);
    };
    try {
      const first = await Promise.all(sent.map(post));
      expect(first.map((r) => r.status)).toEqual(Array(50).fill(200));
      expect(first.map((r) => [r.body.data.videoId, r.body.data.youtubeVideoId])).toEqual(ids.map((id, i) => [id, `yt_${i}`]));
      expect(handled).toBe(50);

      // The same deliveries again (same webhook-id): answered from the remembered answer, handler not run.
      const again = await Promise.all(sent.map(post));
      expect(again.map((r) => r.body)).toEqual(first.map((r) => r.body));
      expect(handled).toBe(50);
    } finally {
      delete callbacks.hooks.succeeded;
    }
    const deliveryIds = sent.map(({ headers }) => headers['webhook-id']);
    const events = await eventually(async () => {
      await t.app.get(WebhookEventRecorder).flush();
      const stored = await eventModel(t).find({ deliveryId: { $in: deliveryIds } }).lean().exec();
      if (stored.length < 100) throw new Error(`${stored.length} of 100 events`);
      return stored;
    });
    expect(events).toHaveLength(100);
    const byDelivery = new Map<string, string[]>();
    for (const event of events) byDelivery.set(event.deliveryId!, [...(byDelivery.get(event.deliveryId!) ?? []), event.status]);
    expect(byDelivery.size).toBe(50);
    for (const statuses of byDelivery.values()) expect(statuses.sort()).toEqual(['accepted', 'duplicate']);
  });

  it('pays the effects of completions arriving together with shared writes: product copies, endpoint lookups, messages, batch counts', async () => {
    const customer = await FakeEndpoint.start();
    try {
      const { workspace, products, ids } = await t.given.videos(20);
      const producer = await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id });
      await t.http().post('/api/webhook-endpoints').set('Authorization', `Bearer ${producer.token}`)
        .send({ url: customer.url(), eventTypes: ['video.completed'] }).expect(201);
      const workspaceOid = new Types.ObjectId(workspace.id);
      const productOids = new Set(products.map((product) => product.id));
      const copies = countCalls(t.app.get<Model<Product>>(getModelToken(Product.name)), 'bulkWrite',
        (statements) => statements.some((s: any) => productOids.has(s.updateOne?.filter?._id?.toHexString())));
      const lookups = countCalls(t.app.get<Model<WebhookEndpoint>>(getModelToken(WebhookEndpoint.name)), 'find',
        (filter) => (filter?.workspaceId?.$in ?? [filter?.workspaceId]).some((id: unknown) => workspaceOid.equals(id as Types.ObjectId)));
      const messages = countCalls(t.app.get<Model<WebhookMessage>>(getModelToken(WebhookMessage.name)), 'insertMany',
        (docs) => docs.some((doc: { workspaceId?: Types.ObjectId }) => workspaceOid.equals(doc.workspaceId!)));
      const batch = (await t.app.get(AIVideoRepository).findById(ids[0]))!.metadata.batchId;
      const moves = countCalls(t.app.get<Model<VideoBatch>>(getModelToken(VideoBatch.name)), 'findOneAndUpdate', (filter) => filter?.batchId === batch);
      try {
        await Promise.all(ids.map((videoId, i) => {
          const raw = JSON.stringify({ videoId, video_url: `https://cdn.example.com/${i}.mp4` });
          return t.http().post('/internal/videos/success').set(rckHeaders(raw)).send(raw).expect(200);
        }));
        await eventually(async () => {
          for (const id of ids) expect((await t.app.get(AIVideoRepository).findById(id))!.metadata.owed).toEqual([]);
        });
        // Fewer commands than deliveries: they were shared (how many depends on how the requests interleave).
        for (const [what, counter] of Object.entries({ copies, lookups, messages, moves })) {
          expect({ what, shared: counter.count() < ids.length, some: counter.count() > 0 }).toEqual({ what, shared: true, some: true });
        }
      } finally {
        for (const counter of [copies, lookups, messages, moves]) counter.restore();
      }
      // Each delivery still got all of its own: its product copy, its one message, and the batch's count at 0.
      for (const [i, product] of products.entries()) {
        const stored = await t.app.get(ProductRepository).findInWorkspace(workspace.id, product.id);
        expect(stored!.videos).toEqual([expect.objectContaining({ videoId: ids[i], status: 'completed', videoUrl: `https://cdn.example.com/${i}.mp4` })]);
      }
      const stored = await t.app.get<Model<WebhookMessage>>(getModelToken(WebhookMessage.name)).find({ workspaceId: workspaceOid }).lean().exec();
      expect(stored.map((message) => JSON.parse(message.payload).data.videoId).sort()).toEqual([...ids].sort());
      expect((await t.app.get<Model<VideoBatch>>(getModelToken(VideoBatch.name)).findOne({ batchId: batch }).lean().exec())!.inFlight).toBe(0);
    } finally {
      await customer.stop();
    }
  });
});
