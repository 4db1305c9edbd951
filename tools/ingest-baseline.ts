/**
 * The ingest benchmark's yardstick (`npm run bench:ingest` starts it): the least code that does
 * what one signed RCK success callback costs the service, on a bare Fastify with the bare MongoDB
 * driver — the same Standard Webhooks check of the raw body, the same reads and writes (delivery
 * id lookup, the video's conditional completion, its product entry, the delivery remembered, one
 * event written per delivery) — and nothing else: no Nest, no validation, no batching.
 */
import Fastify from 'fastify';
import { MongoClient, ObjectId } from 'mongodb';
import { standardWebhookKey } from '../src/config/environment.js';
import { StandardWebhooksVerifier } from '../src/webhook-contract/signature-verifiers.js';

async function main(): Promise<void> {
  const client = await new MongoClient(process.env.MONGODB_URI!).connect();
  const db = client.db();
  const [events, deliveries, videos, products] = ['webhookevents', 'webhookdeliveries', 'aivideos', 'products'].map((name) => db.collection(name));
  await deliveries.createIndex({ source: 1, deliveryId: 1 }, { unique: true });
  const verifier = new StandardWebhooksVerifier([standardWebhookKey(process.env.RCK_WEBHOOK_SECRET!)!]);

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
    const started = Date.now();
    const raw = (request as unknown as { rawBody: Buffer }).rawBody;
    const check = verifier.verify(request.headers, raw, Date.now());
    const body = request.body as { videoId: string; youtubeVideoId?: string };
    const record = (status: string, httpStatus: number) =>
      events.insertOne({ endpoint: request.url, method: 'POST', payload: body, source: 'rck', deliveryId: check.deliveryId, videoId: body.videoId, status, httpStatus, signatureValid: check.valid, durationMs: Date.now() - started, createdAt: new Date(started) });
    if (!check.valid) {
      await record('rejected', 401);
      return reply.code(401).send({ success: false, message: 'Invalid signature' });
    }
    const seen = await deliveries.findOne({ source: 'rck', deliveryId: check.deliveryId });
    if (seen) {
      await record('duplicate', seen.httpStatus);
      return reply.code(seen.httpStatus).send(seen.response);
    }
    const _id = new ObjectId(body.videoId);
    const video = await videos.findOne({ _id });
    if (!video) {
      await record('rejected', 404);
      return reply.code(404).send({ success: false, message: 'Video not found' });
    }
    const now = new Date();
    // Like the service, a repeat for a completed video skips the update that could not apply.
    let current = video.status === 'completed' ? null : await videos.findOneAndUpdate(
      { _id, status: { $ne: 'completed' } },
      { $set: { status: 'completed', 'metadata.completedAt': now, 'metadata.youtubeVideoId': body.youtubeVideoId, 'metadata.productSynced': false }, $inc: { 'metadata.version': 1 } },
      { returnDocument: 'after' },
    );
    const status = current ? 'accepted' : 'duplicate';
    if (current) {
      const entry = { videoId: _id, status: 'completed', completedAt: now, version: current.metadata.version };
      await products.bulkWrite([
        { updateOne: { filter: { _id: current.productId, 'videos.videoId': { $ne: _id } }, update: { $push: { videos: entry } } as Record<string, unknown> } },
        { updateOne: { filter: { _id: current.productId, videos: { $elemMatch: { videoId: _id, version: { $lt: entry.version } } } }, update: { $set: { 'videos.$': entry } } } },
      ]);
      await videos.updateOne({ _id, 'metadata.version': entry.version }, { $set: { 'metadata.productSynced': true } });
    } else {
      current = video.status === 'completed' ? video : await videos.findOne({ _id });
    }
    const response = { success: true, message: 'Video status updated successfully', data: { videoId: body.videoId, youtubeVideoId: current!.metadata.youtubeVideoId, productId: String(current!.productId) } };
    await deliveries.insertOne({ source: 'rck', deliveryId: check.deliveryId, httpStatus: 200, response, createdAt: now }).catch(() => undefined);
    await record(status, 200);
    return reply.code(200).send(response);
  });
  await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
  process.stdout.write(`listening ${(app.server.address() as { port: number }).port}\n`);
  process.once('SIGTERM', () => void app.close().then(() => client.close()).then(() => process.exit(0)));
}

void main();
