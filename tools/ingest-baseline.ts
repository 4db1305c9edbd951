/**
 * The ingest benchmark's yardstick (`npm run bench:ingest` starts it): the least code that does
 * what one signed RCK success callback costs the service, on a bare Fastify with the bare MongoDB
 * driver, and nothing else: no Nest, no validation, no sharing of commands between deliveries.
 * It sends the commands the service sends (the same filters, updates and documents, checked with
 * BENCH_COMMANDS=samples), one at a time, all before answering:
 *
 *  1. the Standard Webhooks check of the raw body (no command);
 *  2. `find webhookdeliveries`: was this webhook-id handled? (a repeat is answered as the first
 *     one was, and its event written: 2 commands);
 *  3. `find aivideos`: the video;
 *  and for a video not completed yet (a first completion):
 *  4. `findAndModify aivideos`: completes it at the version read, recording what the change owes
 *     in `metadata.owed` (the message's data, the batch's in-flight move);
 *  5. `update products`: its product's entry brought to that version (two statements, ordered);
 *  6. `update aivideos`: the video marked in step with its product copy;
 *  7. `find webhookEndpoints`: the workspace's enabled endpoints that take `video.completed`;
 *  8. `insert webhookMessages`: the message for each, under an id derived from (video, version);
 *  9. `findAndModify agendaJobs`: its delivery job, inserted unless one waits under its key (the
 *     job runner's enqueue; the service's poll of the queue is what would run it);
 * 10. `findAndModify videobatches`: the batch's in-flight count moved; when it reaches 0, an
 *     exact `count` of the batch's videos in flight and the digest job (once per bulk request);
 * 11. `update aivideos`: the owed entry paid ($pull);
 *  and for every delivery answered 2xx:
 * 12. `insert webhookdeliveries`: the webhook-id remembered with its answer;
 * 13. `insert webhookevents`: its event, as the service's event log stores it.
 *
 * So 12 commands for a first completion (and 2 more once per bulk request) and 4 for a repeat:
 * a video completed already owes nothing and its product copy is in step. Where Mongoose would
 * set `updatedAt` (its timestamps), so does this.
 */
import Fastify, { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Document, MongoClient, ObjectId, UpdateFilter } from 'mongodb';
import { standardWebhookKey } from '../src/common/standard-webhook-key.js';
import { StandardWebhooksVerifier } from '../src/inbound-webhook-contract/signature-verifiers.js';

const DELIVER_JOB = 'webhook-endpoints.deliver';
const DIGEST_JOB = 'videos.batch-digest';
const RECORDED_HEADERS = ['content-type', 'content-length', 'user-agent', 'webhook-id', 'webhook-timestamp', 'x-request-id', 'x-forwarded-for'];

async function main(): Promise<void> {
  const client = await new MongoClient(process.env.MONGODB_URI!).connect();
  const db = client.db();
  const collection = (name: string) => db.collection<Document>(name);
  const [events, deliveries, videos, products, endpoints, messages, jobs, batches] = [
    'webhookevents', 'webhookdeliveries', 'aivideos', 'products', 'webhookEndpoints', 'webhookMessages', 'agendaJobs', 'videobatches',
  ].map(collection);
  // The unique indexes the answers rely on (the benchmark copies the service's others).
  await deliveries.createIndex({ source: 1, deliveryId: 1 }, { unique: true });
  await messages.createIndex({ endpointId: 1, messageId: 1 }, { unique: true });
  await jobs.createIndex({ pendingKey: 1 }, { name: 'pendingKey_unique', unique: true, partialFilterExpression: { pendingKey: { $exists: true } } });
  const verifier = new StandardWebhooksVerifier([standardWebhookKey(process.env.RCK_WEBHOOK_SECRET!)!]);
  let requests = 0;

  /** The job runner's enqueue under a unique key: inserted unless a job with that key waits. */
  const enqueue = (name: string, data: Record<string, unknown>, key: Record<string, unknown>) => {
    const now = new Date();
    return jobs.findOneAndUpdate(
      { pendingKey: `${name}:${JSON.stringify(sortKeys(key))}`, name },
      { $setOnInsert: { name, data, type: 'normal', priority: 0, nextRunAt: now, ...AGENDA_NULLS, lastModifiedBy: 'bench-baseline' } },
      { upsert: true, returnDocument: 'after' },
    );
  };

  /** What the change to `video` (as changed) owes: the message, its job, the batch's count; then settled. */
  const pay = async (video: Document) => {
    for (const owed of [...(video.metadata.owed ?? [])].sort((a, b) => a.version - b.version)) {
      if (owed.event) {
        const subscribed = await endpoints.find({ workspaceId: video.workspaceId, enabled: true, eventTypes: owed.event }, { projection: { secrets: 0 } }).toArray();
        if (subscribed.length > 0) {
          const messageId = `msg_${createHash('sha256').update(`${video._id.toHexString()}:${owed.version}:${owed.event}`).digest('hex').slice(0, 32)}`;
          const payload = JSON.stringify({ type: owed.event, timestamp: new Date().toISOString(), data: owed.data });
          const now = new Date();
          const docs = subscribed.map((endpoint) => ({
            endpointId: endpoint._id, messageId, eventType: owed.event, payload, workspaceId: video.workspaceId,
            status: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now,
          }));
          const created = await messages.insertMany(docs, { ordered: false }).then(
            () => subscribed,
            // A message stored already (a repeated payment) gets no second job.
            (error: { writeErrors?: Array<{ index: number }> }) => subscribed.filter((_, i) => !error.writeErrors?.some((e) => e.index === i)),
          );
          for (const endpoint of created) {
            const endpointId = endpoint._id.toHexString();
            await enqueue(DELIVER_JOB, { workspaceId: video.workspaceId.toHexString(), endpointId, messageId, attempt: 1 }, { endpointId, messageId, attempt: 1 });
          }
        }
      }
      if (owed.inFlight) {
        const batchId = video.metadata.batchId;
        const batch = await batches.findOneAndUpdate({ batchId }, { $set: { updatedAt: new Date() }, $inc: { inFlight: owed.inFlight } }, { returnDocument: 'after', projection: { inFlight: 1 } });
        if (batch && (batch.inFlight ?? 0) <= 0) {
          const exact = await videos.countDocuments({ 'metadata.batchId': batchId, status: { $in: ['pending', 'generating'] } });
          if (exact > 0) await batches.updateOne({ batchId }, { $set: { inFlight: exact, updatedAt: new Date() } });
          else await enqueue(DIGEST_JOB, { batchId }, { batchId });
        }
      }
      await videos.updateOne({ _id: video._id }, update({ $set: { updatedAt: new Date() }, $pull: { 'metadata.owed': { version: owed.version } } }));
    }
  };

  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    (request as unknown as { rawBody: Buffer }).rawBody = body as Buffer;
    try {
      done(null, JSON.parse(body.toString()));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.post('/internal/videos/success', async (request, reply) => {
    const started = performance.now();
    const arrived = new Date();
    const raw = (request as unknown as { rawBody: Buffer }).rawBody;
    const check = verifier.verify(request.headers, raw, Date.now());
    const body = request.body as { videoId: string; youtubeVideoId?: string };
    const event = (status: string, httpStatus: number, workspaceId?: ObjectId) =>
      eventOf(request, { status, httpStatus, signatureValid: check.valid, deliveryId: check.deliveryId, videoId: body.videoId, workspaceId, arrived, durationMs: performance.now() - started, requestId: `req-${++requests}` });
    if (!check.valid) {
      await events.insertOne(event('rejected', 401));
      return reply.code(401).send({ success: false, message: 'Invalid signature' });
    }
    const seen = await deliveries.findOne(
      { source: 'rck', deliveryId: check.deliveryId },
      { projection: { _id: 0, deliveryId: 1, httpStatus: 1, response: 1, eventId: 1, workspaceId: 1 } },
    );
    if (seen) {
      await events.insertOne(event('duplicate', seen.httpStatus, seen.workspaceId && new ObjectId(seen.workspaceId as string)));
      return reply.code(seen.httpStatus).send(seen.response);
    }
    const _id = new ObjectId(body.videoId);
    const video = await videos.findOne({ _id });
    if (!video) {
      await events.insertOne(event('rejected', 404));
      return reply.code(404).send({ success: false, message: 'Video not found' });
    }
    let current = video;
    let status = 'duplicate';
    if (video.status !== 'completed') {
      const now = new Date();
      const version = video.metadata.version ?? 0;
      const metadata = { ...video.metadata, youtubeVideoId: body.youtubeVideoId };
      const data = definedOnly({ videoId: body.videoId, productId: video.productId.toHexString(), videoUrl: metadata.videoUrl, youtubeVideoId: metadata.youtubeVideoId, imgS3Url: metadata.imgS3Url, completedAt: now });
      const completed = await videos.findOneAndUpdate(
        { status: { $ne: 'completed' }, _id, 'metadata.version': version },
        update({
          $set: { status: 'completed', 'metadata.completedAt': now, 'metadata.productSynced': false, 'metadata.youtubeVideoId': body.youtubeVideoId, updatedAt: now },
          $unset: { error: 1 },
          $push: { 'metadata.owed': { version: version + 1, at: now, event: 'video.completed', data, inFlight: -1 } },
          $inc: { 'metadata.version': 1 },
        }),
        { returnDocument: 'after' },
      );
      // Lost to a concurrent change: that change paid what it owes (not in this benchmark).
      if (completed) {
        current = completed;
        status = 'accepted';
        await syncProductCopy(completed);
      } else {
        current = (await videos.findOne({ _id }))!;
      }
    }
    await pay(current);
    const { metadata } = current;
    const response = {
      success: true,
      message: 'Video status updated successfully',
      data: { videoId: body.videoId, youtubeVideoId: metadata.youtubeVideoId, localFilename: metadata.localFilename, videoUrl: metadata.videoUrl, imgS3Url: metadata.imgS3Url, productId: current.productId.toHexString() },
    };
    const recorded = event(status, 200, current.workspaceId);
    await deliveries.insertOne({ source: 'rck', deliveryId: check.deliveryId, httpStatus: 200, response: JSON.parse(JSON.stringify(response)), eventId: recorded._id.toHexString(), workspaceId: current.workspaceId.toHexString(), createdAt: new Date() }).catch(() => undefined);
    await events.insertOne(recorded);
    return reply.code(200).send(response);
  });

  /** The product's entry brought to the video's version, then the video marked in step. */
  const syncProductCopy = async (video: Document) => {
    const { metadata } = video;
    const entry = {
      templateId: metadata.templateId, templateName: metadata.templateName ?? video.template, status: video.status,
      ...(metadata.youtubeVideoId && { youtubeUrl: `https://www.youtube.com/watch?v=${metadata.youtubeVideoId}` }),
      createdAt: video.createdAt, completedAt: metadata.completedAt, videoId: video._id, version: metadata.version,
    };
    const now = new Date();
    await products.bulkWrite([
      { updateOne: { filter: { _id: video.productId, 'videos.videoId': { $ne: video._id } }, update: { $set: { updatedAt: now }, $push: { videos: entry } } } },
      { updateOne: { filter: { _id: video.productId, videos: { $elemMatch: { videoId: video._id, version: { $lt: metadata.version } } } }, update: { $set: { 'videos.$': entry, updatedAt: now } } } },
    ], { ordered: true });
    await videos.bulkWrite([{ updateOne: { filter: { _id: video._id, 'metadata.version': metadata.version }, update: { $set: { 'metadata.productSynced': true, updatedAt: new Date() } } } }], { ordered: false });
    metadata.productSynced = true;
  };

  await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
  process.stdout.write(`listening ${(app.server.address() as { port: number }).port}\n`);
  process.once('SIGTERM', () => void app.close().then(() => client.close()).then(() => process.exit(0)));
}

/** The event the service's log stores for a delivery (delivery-facts.ts, as the repository writes it). */
function eventOf(
  request: FastifyRequest,
  facts: { status: string; httpStatus: number; signatureValid: boolean; deliveryId?: string; videoId: string; workspaceId?: ObjectId; arrived: Date; durationMs: number; requestId: string },
): Document & { _id: ObjectId } {
  const headers: Record<string, string> = {};
  for (const name of RECORDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return {
    _id: new ObjectId(),
    endpoint: request.url,
    method: request.method,
    payload: request.body,
    source: 'rck',
    eventType: 'success',
    deliveryId: facts.deliveryId,
    videoId: facts.videoId,
    recordId: facts.status === 'rejected' ? undefined : facts.videoId,
    ...(facts.workspaceId && { workspaceId: facts.workspaceId }),
    headers,
    status: facts.status,
    httpStatus: facts.httpStatus,
    signatureValid: facts.signatureValid,
    durationMs: Math.round(facts.durationMs * 100) / 100,
    requestId: facts.requestId,
    createdAt: facts.arrived,
    videoIds: [facts.videoId],
  };
}

/** Without the fields that are undefined (Mongoose leaves them out; the bare driver would store null). */
function definedOnly<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** An update on an array inside an untyped document (the driver's types want a schema for $push and $pull). */
function update(document: Document): UpdateFilter<Document> {
  return document as UpdateFilter<Document>;
}

/** The fields agenda writes as null on a new job. */
const AGENDA_NULLS = {
  lockedAt: null, lastFinishedAt: null, failedAt: null, failCount: null, failReason: null, repeatTimezone: null, lastRunAt: null, repeatInterval: null,
  repeatAt: null, disabled: null, progress: null, debounceStartedAt: null, fork: null, startDate: null, endDate: null, skipDays: null,
};

/** The job runner's key: the same in any property order. */
function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, value[key]]));
}

void main();
