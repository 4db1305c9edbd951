import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { WorkspaceRepository } from '../src/workspaces/workspace.repository.js';
import { eventually } from './utils/eventually.js';
import { FakeRck } from './utils/fake-rck.js';
import { uniqueDatabaseName } from './utils/mongo-uri.js';
import { rckHeaders } from './utils/rck-signing.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';

describe('RCK flow on two service instances sharing one database (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  let rck: FakeRck;

  beforeAll(async () => {
    rck = await FakeRck.start();
    const dbName = uniqueDatabaseName('two');
    // Retries spread over several polls, so both instances' runners compete for them.
    const env = videosTestEnv(rck, { RCK_DISPATCH_MAX_ATTEMPTS: '6', RCK_DISPATCH_BACKOFF_MS: '100' });
    a = await createTestApp({ env, dbName });
    b = await createTestApp({ env, dbName });
  });
  afterAll(async () => {
    await a.connection.dropDatabase();
    await a.close();
    await b.close();
    await rck.stop();
  });

  it('sends each waiting video to RCK exactly once after it recovers, whichever instance retries it', async () => {
    const workspace = await a.given.workspace({ monthlyVideoLimit: 50 });
    const { token } = await a.given.loggedIn({ workspaceId: workspace.id });
    const products = [];
    for (let i = 0; i < 12; i++) products.push(await a.given.product(workspace.id));
    rck.mode = { status: 503 };
    const response = await a.http().post('/api/videos/bulk-generate').set('Authorization', `Bearer ${token}`)
      .send({ productIds: products.map((p) => p.id), templateId: 't', templateName: 'T' }).expect(201);
    const ids: string[] = response.body.data.videoIds;
    // 12 products in chunks of 3, all refused; on a loaded machine a first retry may already have
    // come (and been refused too) before the answer.
    expect(rck.requests.length).toBeGreaterThanOrEqual(4);
    const refused = rck.requests.length;
    rck.mode = 'ok';

    await eventually(async () => {
      for (const id of ids) expect((await b.app.get(AIVideoRepository).findById(id))!.status).toBe('generating');
    }, 30_000); // a bound for background retries on a loaded machine, not a speed check
    // Every send after the recovery was accepted: each video must be among them exactly once.
    const sentAfterRecovery = rck.requests.slice(refused).flatMap((r) => r.body.items.map((item) => item.videoId));
    const took = new Map<string, number>();
    for (const id of sentAfterRecovery) took.set(id, (took.get(id) ?? 0) + 1);
    expect([...took.keys()].sort()).toEqual([...ids].sort());
    expect([...took.values()].every((n) => n === 1)).toBe(true);
    expect((await a.app.get(WorkspaceRepository).findById(workspace.id))!.usage.videosGenerated).toBe(12);
  });

  it('makes one state change for concurrent identical callbacks split across both instances', async () => {
    const workspace = await a.given.workspace();
    const { token } = await b.given.loggedIn({ workspaceId: workspace.id });
    const product = await b.given.product(workspace.id);
    const response = await b.http().post('/api/videos/bulk-generate').set('Authorization', `Bearer ${token}`)
      .send({ productIds: [product.id], templateId: 't', templateName: 'T' }).expect(201);
    const [id] = response.body.data.videoIds;
    // On a loaded machine the first send can time out and go back to pending for a retry (one
    // version more): count from the version the video has once RCK took it.
    let before = 0;
    await eventually(async () => {
      const video = (await a.app.get(AIVideoRepository).findById(id))!;
      expect(video.status).toBe('generating');
      before = video.metadata.version;
    }, 30_000);
    const raw = JSON.stringify({ videoId: id, youtubeVideoId: 'both' });
    const headers = rckHeaders(raw);
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).http().post('/internal/videos/success').set(headers).send(raw)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(200));
    const after = (await a.app.get(AIVideoRepository).findById(id))!;
    expect(after.status).toBe('completed');
    expect(after.metadata.version).toBe(before + 1);
  });
});
