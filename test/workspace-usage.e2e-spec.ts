import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { getModelToken } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Workspace } from '../src/workspaces/workspace.schema.js';
import { WorkspaceRepository } from '../src/workspaces/workspace.repository.js';
import { createTestApp, TestApp } from './utils/test-app.js';

describe('Workspace video quota (integration, real persistence)', () => {
  let t: TestApp;
  let workspaces: WorkspaceRepository;

  beforeAll(async () => {
    t = await createTestApp();
    workspaces = t.app.get(WorkspaceRepository);
  });
  afterAll(() => t.close());

  const usageOf = async (id: string) => (await workspaces.findById(id))!.usage;

  it('lets exactly the limit through when 20 requests reserve at once', async () => {
    const workspace = await t.given.workspace({ monthlyVideoLimit: 5 });
    const results = await Promise.all(Array.from({ length: 20 }, () => workspaces.reserveVideoQuota(workspace.id, 1)));
    expect(results.filter((r) => r.reserved)).toHaveLength(5);
    expect(results.filter((r) => !r.reserved && r.reason === 'limit_exceeded')).toHaveLength(15);
    expect((await usageOf(workspace.id)).videosGenerated).toBe(5);
  });

  it('reserves a batch only when all of it fits', async () => {
    const workspace = await t.given.workspace({ monthlyVideoLimit: 10 });
    expect(await workspaces.reserveVideoQuota(workspace.id, 7)).toEqual(expect.objectContaining({ reserved: true, videosGenerated: 7 }));
    expect(await workspaces.reserveVideoQuota(workspace.id, 4)).toEqual({
      reserved: false, reason: 'limit_exceeded', period: expect.any(String), videosGenerated: 7, monthlyVideoLimit: 10,
    });
    expect(await workspaces.reserveVideoQuota(workspace.id, 3)).toEqual(expect.objectContaining({ reserved: true, videosGenerated: 10 }));
  });

  it('rolls over to a new month on its own, even under concurrent requests', async () => {
    const november = new Date('2026-11-30T23:59:00Z');
    const december = new Date('2026-12-01T00:00:30Z');
    const workspace = await t.given.workspace({ monthlyVideoLimit: 3 });
    await t.app.get<Model<Workspace>>(getModelToken(Workspace.name))
      .updateOne({ _id: workspace.id }, { $set: { usage: { period: '2026-11', videosGenerated: 3 } } });
    expect((await workspaces.reserveVideoQuota(workspace.id, 1, november)).reserved).toBe(false);

    const results = await Promise.all(Array.from({ length: 10 }, () => workspaces.reserveVideoQuota(workspace.id, 1, december)));
    expect(results.filter((r) => r.reserved)).toHaveLength(3);
    expect(await usageOf(workspace.id)).toEqual({ period: '2026-12', videosGenerated: 3 });
  });

  it('never rolls a counter backwards when a request carries an older month', async () => {
    const workspace = await t.given.workspace({ monthlyVideoLimit: 2 });
    await workspaces.reserveVideoQuota(workspace.id, 2, new Date('2027-01-05T00:00:00Z'));
    expect((await workspaces.reserveVideoQuota(workspace.id, 1, new Date('2026-12-31T23:00:00Z'))).reserved).toBe(false);
    expect(await usageOf(workspace.id)).toEqual({ period: '2027-01', videosGenerated: 2 });
  });

  it('gives back an unused reservation, never below zero', async () => {
    const workspace = await t.given.workspace({ monthlyVideoLimit: 5 });
    const reservation = await workspaces.reserveVideoQuota(workspace.id, 4);
    if (!reservation.reserved) throw new Error('expected a reservation');
    await workspaces.releaseVideoQuota(workspace.id, reservation.period, 3);
    expect((await usageOf(workspace.id)).videosGenerated).toBe(1);
    await workspaces.releaseVideoQuota(workspace.id, reservation.period, 3);
    expect((await usageOf(workspace.id)).videosGenerated).toBe(1);
  });

  it('reports an unknown workspace', async () => {
    expect(await workspaces.reserveVideoQuota('507f1f77bcf86cd799439011', 1)).toEqual({ reserved: false, reason: 'workspace_not_found' });
  });

  it('shows this month usage to the workspace members', async () => {
    const workspace = await t.given.workspace({ monthlyVideoLimit: 8 });
    await workspaces.reserveVideoQuota(workspace.id, 3);
    const { token } = await t.given.loggedIn({ workspaceId: workspace.id });
    const response = await t.http().get('/api/workspaces/current').set('Authorization', `Bearer ${token}`).expect(200);
    expect(response.body.data.usage).toEqual({
      period: new Date().toISOString().slice(0, 7), videosGenerated: 3, monthlyVideoLimit: 8, remaining: 5,
    });
  });
});
