import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { MongoWireServer, startMongoWireServer } from '../tools/mongo-wire-server/src/index.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { eventually } from './utils/eventually.js';
import { createTestApp, TestApp } from './utils/test-app.js';

describe('Health probes (e2e)', () => {
  let t: TestApp;
  let server: MongoWireServer;

  beforeAll(async () => {
    server = await startMongoWireServer();
    t = await createTestApp({ mongoServerUri: server.uri });
  });
  afterAll(async () => {
    await t.app.close();
    await server.stop();
  });

  it('says live without asking anything, and ready when the database answers and jobs run', async () => {
    expect((await t.http().get('/health/live').expect(200)).body).toEqual({ success: true, data: { status: 'ok' } });
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.data.details).toEqual({ mongodb: expect.objectContaining({ status: 'up' }), jobs: { status: 'up' } });
  });

  it('is not ready while the database does not answer, still live, and ready again once it is back', { timeout: 90_000 }, async () => {
    const port = Number(new URL(server.uri).port);
    await server.stop();
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
