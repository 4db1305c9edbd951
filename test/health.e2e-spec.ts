import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { MongoWireServer, startMongoWireServer } from '@videogen/mongo-wire-server';
import { JobRunner } from '../src/jobs/job-runner.js';
import { WebhookEventRecorder } from '../src/inbound-webhook-events/webhook-event.recorder.js';
import { WebhookEventRepository } from '../src/inbound-webhook-events/webhook-event.repository.js';
import { refuseEventWrites } from './utils/webhook-events.js';
import { eventually } from './utils/eventually.js';
import { hookable } from './utils/hookable.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { ON_EXTERNAL_MONGODB, ownServerOnly } from './utils/own-server.js';

describe('Health probes (e2e)', () => {
  let t: TestApp;
  // Its own wire server, to stop and restart; on the user's MongoDB (MONGODB_URI) that one.
  let server: MongoWireServer | undefined;

  beforeAll(async () => {
    server = ON_EXTERNAL_MONGODB ? undefined : await startMongoWireServer();
    t = await createTestApp(server ? { mongoServerUri: server.uri } : {});
  });
  afterAll(async () => {
    await t.app.close();
    await server?.stop();
  });

  it('says live without asking anything, and ready when the database answers and jobs run', async () => {
    expect((await t.http().get('/health/live').expect(200)).body).toEqual({ success: true, data: { status: 'ok' } });
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.data.details).toEqual({
      process: { status: 'up' },
      mongodb: expect.objectContaining({ status: 'up' }),
      jobs: { status: 'up' },
      webhookEvents: { status: 'up', backlog: 0 },
    });
  });

  it('is not ready while the database does not answer, still live, and ready again once it is back', { timeout: 90_000, skip: ownServerOnly('stops and restarts its own wire server') }, async () => {
    const port = Number(new URL(server!.uri).port);
    await server!.stop();
    const down = await t.http().get('/health/ready').expect(503);
    expect(down.body).toEqual(expect.objectContaining({ success: false, message: 'Service unavailable: mongodb down' }));
    await t.http().get('/health/live').expect(200);

    server = await startMongoWireServer({ port });
    await eventually(async () => {
      await t.http().get('/health/ready').expect(200);
    }, 60_000, 500);
  });

  it('is not ready once the job runner has stopped (shutting down)', async () => {
    await t.app.get(JobRunner).onModuleDestroy();
    const response = await t.http().get('/health/ready').expect(503);
    expect(response.body).toEqual(expect.objectContaining({ message: 'Service unavailable: jobs down' }));
    expect(response.body.details.jobs).toEqual({ status: 'down', message: 'the job runner is not processing jobs' });
  });
});

describe('Readiness and the webhook event recorder (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { READY_MAX_RECORDER_BACKLOG: '3', WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '20' }, overrides: [hookable(WebhookEventRepository)] });
  });
  afterAll(() => t.close());

  it('is not ready while more events than READY_MAX_RECORDER_BACKLOG wait to be written, and ready again once they are', async () => {
    // The event store refuses writes (a fault in the recorder's repository) until the test lets it.
    let refusing = true;
    refuseEventWrites(t, () => refusing);
    const recorder = t.app.get(WebhookEventRecorder);
    // Unsigned deliveries are refused (401) and recorded all the same.
    const deliver = () => t.http().post('/internal/videos/failure').set('content-type', 'application/json').send('{"videoId":"x"}').expect(401);

    for (let i = 0; i < 3; i++) await deliver();
    // A refusal is recorded as its response ends, so the count may trail the answer briefly.
    await eventually(() => expect(recorder.counts.failedWrites > 0 && recorder.pending === 3).toBe(true));
    expect((await t.http().get('/health/ready').expect(200)).body.data.details.webhookEvents).toEqual({ status: 'up', backlog: 3 });

    await deliver();
    await eventually(() => expect(recorder.pending).toBe(4));
    const down = await t.http().get('/health/ready').expect(503);
    expect(down.body).toEqual(expect.objectContaining({ success: false, message: 'Service unavailable: webhookEvents down' }));
    expect(down.body.details.webhookEvents).toEqual({ status: 'down', backlog: 4, message: '4 webhook events wait to be written (more than 3)' });
    await t.http().get('/health/live').expect(200);
    await t.http().get('/health').expect(200);

    refusing = false;
    await eventually(async () => {
      const ready = await t.http().get('/health/ready').expect(200);
      expect(ready.body.data.details.webhookEvents).toEqual({ status: 'up', backlog: 0 });
    }, 15_000, 100);
    expect(recorder.counts.stored).toBeGreaterThanOrEqual(4);
  });
});
