import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { type Browser, chromium, type Page } from 'playwright-core';
import { InternalServerErrorException } from '@nestjs/common';
import { Role } from '../src/common/role.enum.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { ReelRepository } from '../src/reels/reel.repository.js';
import { signHeygenWebhook } from '../src/inbound-webhook-contract/signature-verifiers.js';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { VideoCallbacksService } from '../src/videos/video-callbacks.service.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { OutboundEvents } from '../src/outbound-webhooks/outbound-events.js';
import { AIVideo } from '../src/videos/ai-video.schema.js';
import { Types } from 'mongoose';
import { eventually } from './utils/eventually.js';
import { FakeRck } from './utils/fake-rck.js';
import { hookable, hooked } from './utils/hookable.js';
import { REPO_ROOT } from './utils/paths.js';
import { rckHeaders } from './utils/rck-signing.js';
import { createTestApp, TEST_SECRETS, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';
import { User } from '../src/users/user.schema.js';
import { Model } from 'mongoose';
import { getModelToken } from '@nestjs/mongoose';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it when missing), never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const OUTPUT = join(REPO_ROOT, 'test-output');

/**
 * The dashboard (built by `npm test`'s pretest into dashboard/dist) served by the real application
 * at /dashboard, driven in a real browser. The stream and feed run with the production defaults
 * (1 s poll, 200 ms event-log flush), so "within two seconds" is the deployed behaviour.
 */
describe('Dashboard in Chromium (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;
  let customer: FakeEndpoint;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    rck = await FakeRck.start();
    customer = await FakeEndpoint.start();
    t = await createTestApp({ env: videosTestEnv(rck), overrides: [hookable(VideoCallbacksService)] });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = await t.app.getUrl();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await t.close();
    await rck.stop();
    await customer.stop();
  });

  async function givenVideos(count: number) {
    const workspace = await t.given.workspace();
    const { token } = await t.given.loggedIn({ workspaceId: workspace.id });
    const products = [];
    for (let i = 0; i < count; i++) products.push(await t.given.product(workspace.id));
    const response = await t.http().post('/api/videos/bulk-generate').set('Authorization', `Bearer ${token}`)
      .send({ productIds: products.map((p) => p.id), templateId: 't', templateName: 'Showcase' }).expect(201);
    return { workspace, ids: response.body.data.videoIds as string[] };
  }

  function callback(kind: 'success' | 'failure', body: object) {
    const raw = JSON.stringify(body);
    return t.http().post(`/internal/videos/${kind}`).set(rckHeaders(raw)).send(raw).expect(200);
  }

  async function signIn(page: Page, user: { email: string; password: string }) {
    const response = await page.goto(`${baseUrl}/dashboard`);
    expect(response?.status()).toBe(200);
    await page.fill('input[name=email]', user.email);
    await page.fill('input[name=password]', user.password);
    await page.click('button[type=submit]');
  }

  const text = (page: Page, testId: string) => page.locator(`[data-testid="${testId}"]`).innerText();

  it('signs a superadmin in, shows the API\'s numbers, a new delivery live within two seconds, and its event', async () => {
    const { ids } = await givenVideos(4);
    await callback('failure', { videoId: ids[0], error: 'Template not found' });
    await callback('success', { videoId: ids[1], youtubeVideoId: 'yt1' });
    const admin = await t.given.user({ role: Role.SuperAdmin });

    const page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
    await signIn(page, admin);
    await page.waitForSelector('[data-testid="live-state"]:text("live")', { timeout: 15_000 });
    // The token from the page's login lives in this tab's sessionStorage, nowhere else; the checks
    // below ask the API with it.
    const token = await page.evaluate(() => sessionStorage.getItem('videogen.dashboard.token'));
    expect(token).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect((await t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200)).body.data.email).toBe(admin.email);

    // The page's counters are the summary's for the window it shows.
    const counters = page.locator('[data-testid="counters"]');
    await eventually(async () => expect(await counters.getAttribute('data-to')).toBeTruthy(), 10_000);
    await eventually(async () => {
      const from = await counters.getAttribute('data-from');
      const to = await counters.getAttribute('data-to');
      const summary = (await t.http().get('/api/monitoring/summary').query({ from, to }).set('Authorization', `Bearer ${token}`).expect(200)).body.data;
      expect(summary.videos).toEqual({ pending: 0, generating: 2, completed: 1, failed: 1 });
      for (const [status, count] of Object.entries(summary.videos)) expect(await text(page, `videos-${status}`)).toBe(String(count));
      for (const [status, count] of Object.entries(summary.reels)) expect(await text(page, `reels-${status}`)).toBe(String(count));
      for (const [state, count] of Object.entries(summary.jobs)) expect(await text(page, `jobs-${state}`)).toBe(String(count));
      const failures = await page.locator('[data-testid="failures"] tbody tr').allInnerTexts();
      expect(failures.map((row) => row.split('\t'))).toEqual(summary.failureReasons.map((f: { kind: string; reason: string; count: number }) => [f.kind, f.reason, String(f.count)]));
      expect(await page.locator('[data-testid="stuck"] tbody tr').count()).toBe(summary.stuckGenerating.length);
      const stats = (await t.http().get('/api/webhook-events/stats').query({ from, to, groupBy: 'hour' }).set('Authorization', `Bearer ${token}`).expect(200)).body.data;
      // The success rate counts what the counters count (videos created in the range, by status
      // now); the callbacks' own figure is labelled as such.
      const { completed, failed } = summary.videos;
      expect(await text(page, 'success-rate')).toBe(`${((completed / (completed + failed)) * 100).toFixed(1)} %`);
      expect(await text(page, 'success-rate-counts')).toContain(`${completed} completed of ${completed + failed} (${failed} failed)`);
      expect(await text(page, 'callback-rate')).toContain(`reported ${stats.outcomes.succeeded} finished and ${stats.outcomes.failed} failed`);
      expect(await text(page, 'refused-total')).toBe(String(stats.refused.reduce((sum: number, r: { total: number }) => sum + r.total, 0)));
    }, 10_000, 200);

    // A signed RCK delivery shows up in the live feed, newest first, within two seconds.
    await callback('success', { videoId: ids[2], youtubeVideoId: 'yt2' });
    const row = page.locator(`[data-testid="feed-row"][data-video-id="${ids[2]}"]`);
    await row.waitFor({ timeout: 2000 });
    expect(await page.locator('[data-testid="feed-row"]').first().getAttribute('data-video-id')).toBe(ids[2]);
    expect(await row.innerText()).toContain('accepted (200)');
    // …and the counters follow.
    await eventually(async () => expect(await text(page, 'videos-completed')).toBe('2'), 5000);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });

    // Its stored event, as readable fields beside the feed (which goes on live); an applied
    // delivery is offered no replay, and the page says why.
    const eventId = await row.getAttribute('data-event-id');
    await row.locator('[data-testid="details"]').click();
    const detail = page.locator(`[data-testid="event-detail"][data-event-id="${eventId}"]`);
    await detail.waitFor({ timeout: 5000 });
    expect(new URL(page.url()).searchParams.get('event')).toBe(eventId);
    await eventually(async () => expect(await text(page, 'detail-outcome')).toMatch(/^accepted, answered HTTP 200 in \d/), 5000);
    expect(await text(page, 'detail-answer')).toContain('Video status updated successfully');
    expect(await text(page, 'detail-payload')).toContain('yt2');
    expect(await detail.innerText()).not.toMatch(/[{}]/);
    expect(await text(page, 'not-replayable')).toBe('No replay offered: It was applied already: a replay would change nothing');
    expect(await page.locator('[data-testid="counters"]').count()).toBe(1);
    await page.click('[data-testid="close-detail"]');
    await detail.waitFor({ state: 'detached' });
    await page.close();
  });

  it('with a workspace chosen: its stored deliveries at once, its stats, and only its live deliveries', async () => {
    const one = await givenVideos(3);
    const two = await givenVideos(1);
    await callback('success', { videoId: one.ids[0], youtubeVideoId: 'w1' });
    await callback('failure', { videoId: one.ids[1], error: 'Template not found' });
    await callback('success', { videoId: two.ids[0], youtubeVideoId: 'w2' });
    // Refused before its handler: it has no workspace.
    const raw = JSON.stringify({ videoId: one.ids[2] });
    await t.http().post('/internal/videos/success').set({ ...rckHeaders(raw), 'webhook-signature': 'v1,AAAA' }).send(raw).expect(401);
    const admin = await t.given.user({ role: Role.SuperAdmin });

    const page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
    await signIn(page, admin);
    await page.waitForSelector('[data-testid="live-state"]:text("live")', { timeout: 15_000 });
    await page.locator(`[data-testid="workspace"] option[value="${one.workspace.id}"]`).waitFor({ state: 'attached', timeout: 10_000 });
    await page.selectOption('[data-testid="workspace"]', one.workspace.id);
    // The stream of this workspace (not the one before it) is connected.
    await page.waitForSelector(`[data-testid="live-state"][data-workspace="${one.workspace.id}"]:text("live")`, { timeout: 15_000 });

    const feedVideos = async () => (await page.locator('[data-testid="feed-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-video-id')))).sort();
    // The deliveries stored before the page opened, from the event log: this workspace's only.
    await eventually(async () => expect(await feedVideos()).toEqual([one.ids[0], one.ids[1]].sort()), 10_000, 200);
    const token = await page.evaluate(() => sessionStorage.getItem('videogen.dashboard.token'));
    await eventually(async () => {
      const counters = page.locator('[data-testid="counters"]');
      const from = await counters.getAttribute('data-from');
      const to = await counters.getAttribute('data-to');
      const stats = (await t.http().get('/api/webhook-events/stats').query({ from, to, groupBy: 'hour', workspaceId: one.workspace.id })
        .set('Authorization', `Bearer ${token}`).expect(200)).body.data;
      expect(stats.outcomes).toEqual({ succeeded: 1, failed: 1, successRate: 0.5, failureRate: 0.5 });
      expect(await text(page, 'success-rate')).toBe('50.0 %');
      expect(await text(page, 'refused-total')).toBe('0');
    }, 10_000, 200);

    // Live: this workspace's delivery is shown, the other's (sent first) is not. (The first test holds
    // the stream to its two seconds; here the wait is looser, for a loaded machine.)
    await callback('success', { videoId: two.ids[0], youtubeVideoId: 'w2' });
    await callback('success', { videoId: one.ids[2], youtubeVideoId: 'w3' });
    await page.locator(`[data-testid="feed-row"][data-video-id="${one.ids[2]}"]`).waitFor({ timeout: 5000 });
    expect(await page.locator(`[data-testid="feed-row"][data-video-id="${two.ids[0]}"]`).count()).toBe(0);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard-workspace.png'), fullPage: true });
    await page.close();
  });

  it('the explorer: filters kept in the URL, an event\'s detail, its video\'s timeline, a replay and a bulk replay, each confirmed first', async () => {
    const { workspace, ids } = await givenVideos(3);
    const producer = await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id });
    await t.http().post('/api/webhook-endpoints').set('Authorization', `Bearer ${producer.token}`)
      .send({ url: customer.url(`/in/${workspace.id}`), eventTypes: ['video.completed'] }).expect(201);
    // Two successes that hit a broken service (500, failed), one for an unknown video (404), one applied.
    const callbacks = hooked(t.app.get(VideoCallbacksService));
    callbacks.hooks.succeeded = async () => {
      throw new InternalServerErrorException('database unavailable (injected)');
    };
    const firstRaw = JSON.stringify({ videoId: ids[0], youtubeVideoId: 'yt_x0' });
    const firstHeaders = rckHeaders(firstRaw);
    try {
      await t.http().post('/internal/videos/success').set(firstHeaders).send(firstRaw).expect(500);
      const second = JSON.stringify({ videoId: ids[1], youtubeVideoId: 'yt_x1' });
      await t.http().post('/internal/videos/success').set(rckHeaders(second)).send(second).expect(500);
    } finally {
      delete callbacks.hooks.succeeded;
    }
    await callback('success', { videoId: ids[2], youtubeVideoId: 'yt_x2' });
    const admin = await t.given.user({ role: Role.SuperAdmin });

    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await signIn(page, admin);
    await page.click('[data-testid="nav-events"]');
    await page.locator('[data-testid="explorer"]').waitFor({ timeout: 10_000 });

    // Filter: RCK's failed deliveries (a 500 from the handler has no workspace: it failed before the
    // handler could say; this test makes the file's only ones).
    await page.selectOption('[data-testid="filters"] select[name="status"]', 'failed');
    await page.selectOption('[data-testid="filters"] select[name="source"]', 'rck');
    await page.click('[data-testid="apply-filters"]');
    const rows = page.locator('[data-testid="event-row"]');
    const rowVideos = async () => (await rows.evaluateAll((els) => els.map((el) => el.querySelector('[data-testid="video-link"]')?.textContent))).sort();
    await eventually(async () => expect(await rowVideos()).toEqual([ids[0], ids[1]].sort()), 10_000, 100);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ view: 'events', status: 'failed', source: 'rck' });
    expect(await rows.evaluateAll((els) => els.map((el) => [el.getAttribute('data-status'), el.getAttribute('data-replayable')]))).toEqual([['failed', 'true'], ['failed', 'true']]);
    expect(await text(page, 'page-info')).toBe('Page 1 of 1 (2 deliveries)');
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'explorer.png'), fullPage: true });

    // The URL is the page: reloaded (or shared), it shows the same filters and rows.
    await page.reload();
    await eventually(async () => expect(await rowVideos()).toEqual([ids[0], ids[1]].sort()), 10_000, 100);
    expect(await page.locator('[data-testid="filters"] select[name="status"]').inputValue()).toBe('failed');
    // By HTTP code and video: the first failure alone; by workspace: the applied one alone.
    await page.selectOption('[data-testid="filters"] select[name="status"]', '');
    await page.fill('[data-testid="filters"] input[name="httpStatus"]', '500');
    await page.fill('[data-testid="filters"] input[name="videoId"]', ids[0]);
    await page.click('[data-testid="apply-filters"]');
    await eventually(async () => expect(new URL(page.url()).searchParams.get('httpStatus')).toBe('500'));
    await eventually(async () => expect(await rowVideos()).toEqual([ids[0]]), 10_000, 100);
    await page.click('[data-testid="clear-filters"]');
    await page.locator(`[data-testid="filters"] select[name="workspaceId"] option[value="${workspace.id}"]`).waitFor({ state: 'attached', timeout: 10_000 });
    await page.selectOption('[data-testid="filters"] select[name="workspaceId"]', workspace.id);
    await page.click('[data-testid="apply-filters"]');
    await eventually(async () => expect(await rowVideos()).toEqual([ids[2]]), 10_000, 100);
    expect(await rows.first().getAttribute('data-replayable')).toBe('false');
    expect(await rows.first().locator('[data-testid="replay"]').count()).toBe(0);
    // Back to the two failures, from a link.
    await page.goto(`${baseUrl}/dashboard/?view=events&status=failed&source=rck`);
    await eventually(async () => expect(await rowVideos()).toEqual([ids[0], ids[1]].sort()), 10_000, 100);

    // The first failure's detail: readable fields, the request's headers without its signature, our answer.
    const firstRow = page.locator('[data-testid="event-row"]', { has: page.locator(`[data-testid="video-link"]:text("${ids[0]}")`) });
    await firstRow.locator('[data-testid="details"]').click();
    const detail = page.locator('[data-testid="event-detail"]');
    await detail.waitFor({ timeout: 5000 });
    await eventually(async () => expect(await text(page, 'detail-outcome')).toMatch(/^failed, answered HTTP 500 in /), 5000);
    expect(await text(page, 'detail-error')).toBe('database unavailable (injected)');
    expect(await text(page, 'detail-headers')).toContain(firstHeaders['webhook-id']);
    expect(await detail.innerText()).not.toContain(firstHeaders['webhook-signature'].slice(3));
    expect(await text(page, 'detail-payload')).toContain('yt_x0');
    expect(await text(page, 'detail-answer')).toContain('database unavailable (injected)');
    expect(await detail.innerText()).not.toMatch(/[{}]/);
    await page.screenshot({ path: join(OUTPUT, 'event-detail.png'), fullPage: false });

    // Replay asks first; cancelled, nothing happens.
    await detail.locator('[data-testid="replay"]').click();
    const confirm = page.locator('[data-testid="confirm"]');
    await confirm.waitFor();
    expect(await confirm.innerText()).toContain('will run through its handler again');
    await page.screenshot({ path: join(OUTPUT, 'replay-confirm.png') });
    await confirm.locator('[data-testid="confirm-no"]').click();
    await confirm.waitFor({ state: 'detached' });
    const eventId = await detail.getAttribute('data-event-id');
    expect((await t.http().get('/api/webhook-events').query({ videoId: ids[0] }).set('Authorization', `Bearer ${await page.evaluate(() => sessionStorage.getItem('videogen.dashboard.token'))}`).expect(200))
      .body.data.events.map((e: { replayOf?: string }) => e.replayOf ?? null)).toEqual([null]);
    // Confirmed: applied, and said in words.
    await detail.locator('[data-testid="replay"]').click();
    await confirm.locator('[data-testid="confirm-yes"]').click();
    const result = detail.locator('[data-testid="replay-result"]');
    await result.waitFor({ timeout: 10_000 });
    expect(await result.getAttribute('data-status')).toBe('accepted');
    expect(await result.innerText()).toBe('Applied: the delivery was handled again and its change was made (HTTP 200). The handler said: "Video status updated successfully". See the replay\'s event');
    expect((await t.app.get(AIVideoRepository).findById(ids[0]))!.status).toBe('completed');
    // No second replay is offered, and the page says why.
    await eventually(async () => expect(await text(page, 'not-replayable')).toBe('No replay offered: A replay of it was applied already: another would change nothing'), 5000);
    await page.screenshot({ path: join(OUTPUT, 'replay-result.png'), fullPage: false });

    // The video's timeline, from its id: the failed delivery, its replay, the change it made, the message out and its attempt.
    await t.app.get(JobRunner).drain(20_000, { includeScheduled: true });
    await detail.locator('[data-testid="detail-subject"] [data-testid="video-link"]').click();
    const timeline = page.locator(`[data-testid="timeline"][data-kind="video"][data-id="${ids[0]}"]`);
    await timeline.waitFor({ timeout: 5000 });
    await eventually(async () => expect(await page.locator('[data-testid="timeline-entry"]').count()).toBeGreaterThan(0), 5000);
    expect(new URL(page.url()).searchParams.get('video')).toBe(ids[0]);
    const story = await page.locator('[data-testid="timeline-entry"]').evaluateAll((els) => els.map((el) => `${el.getAttribute('data-kind')} ${el.getAttribute('data-outcome')}`));
    const at = (entry: string, from = -1) => story.findIndex((e, i) => i > from && e === entry);
    const steps = ['state generating', 'dispatch succeeded', 'delivery failed', 'delivery accepted', 'state completed', 'message succeeded', 'attempt succeeded'];
    let previous = -1;
    for (const step of steps) {
      const index = at(step, previous);
      expect({ step, found: index > previous }).toEqual({ step, found: true });
      previous = index;
    }
    expect(await page.locator('[data-testid="timeline-entry"][data-kind="delivery"]').first().innerText()).toContain('RCK success: failed (HTTP 500): database unavailable (injected)');
    await page.screenshot({ path: join(OUTPUT, 'timeline.png'), fullPage: true });
    // A delivery in the timeline opens its detail.
    await page.locator('[data-testid="timeline-event-link"]').first().click();
    await page.locator(`[data-testid="event-detail"][data-event-id="${eventId}"]`).waitFor({ timeout: 5000 });
    await page.click('[data-testid="close-detail"]');

    // Bulk replay of the failures the filters match: the count first, then the queue.
    await page.click('[data-testid="nav-events"]');
    await page.selectOption('[data-testid="filters"] select[name="status"]', 'failed');
    await page.selectOption('[data-testid="filters"] select[name="source"]', 'rck');
    await page.click('[data-testid="apply-filters"]');
    await eventually(async () => expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ view: 'events', status: 'failed', source: 'rck' }));
    await eventually(async () => expect(await rowVideos()).toEqual([ids[0], ids[1]].sort()), 10_000, 100);
    await page.click('[data-testid="bulk-replay"]');
    await confirm.waitFor({ timeout: 5000 });
    expect(await text(page, 'bulk-count')).toBe('2 failed deliveries matching these filters will run through their handlers again, in the background, oldest first.');
    await page.screenshot({ path: join(OUTPUT, 'bulk-replay-confirm.png') });
    await confirm.locator('[data-testid="confirm-yes"]').click();
    await eventually(async () => expect(await text(page, 'bulk-result')).toMatch(/^Queued 2 failed deliveries for replay/), 5000);
    await t.app.get(JobRunner).drain(20_000, { includeScheduled: true });
    expect((await t.app.get(AIVideoRepository).findById(ids[1]))!.status).toBe('completed');

    // A HeyGen delivery names its reel, which links to the reel's timeline.
    const owner = await t.given.user({ workspaceId: workspace.id });
    const reels = t.app.get(ReelRepository);
    const reel = await reels.create({ userId: owner.id, workspaceId: workspace.id, title: 'Summer teaser', script: 'Hello', avatarId: 'a', voiceId: 'v', aspectRatio: '9:16' });
    await reels.approve(reel.id, owner.id, new Date());
    await reels.markProcessing(reel.id, `hg_${reel.id}`, new Date());
    const raw = JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: `hg_${reel.id}`, url: 'https://cdn.example.com/teaser.mp4' } });
    await t.http().post('/api/webhook/heygen')
      .set({ 'content-type': 'application/json', 'x-heygen-signature': signHeygenWebhook(TEST_SECRETS.HEYGEN_WEBHOOK_SECRET, raw) }).send(raw).expect(200);
    await page.goto(`${baseUrl}/dashboard/?view=events&source=heygen&reelId=${reel.id}`);
    const reelLink = page.locator('[data-testid="event-row"] [data-testid="reel-link"]');
    await reelLink.waitFor({ timeout: 10_000 });
    expect(await reelLink.innerText()).toBe(`reel ${reel.id}`);
    await reelLink.click();
    await page.locator(`[data-testid="timeline"][data-kind="reel"][data-id="${reel.id}"]`).waitFor({ timeout: 5000 });
    await eventually(async () => expect(await page.locator('[data-testid="timeline-entry"]').evaluateAll((els) => els.slice(0, 6).map((el) => `${el.getAttribute('data-kind')} ${el.getAttribute('data-outcome')}`)))
      .toEqual(['state requested', 'state approved', 'dispatch succeeded', 'state processing', 'delivery accepted', 'state completed']), 5000);
    await page.screenshot({ path: join(OUTPUT, 'timeline-reel.png'), fullPage: true });
    await page.close();
  });

  it('shows alert incidents on the overview, open ones marked', async () => {
    const admin = await t.given.user({ role: Role.SuperAdmin });
    const auth = { Authorization: `Bearer ${await t.given.token(admin)}` };
    // A threshold of 0 is reached at once: the evaluation opens an incident.
    const rule = (await t.http().post('/api/alerts/rules').set(auth)
      .send({ name: 'Backlog watch', kind: 'recorder_backlog', threshold: 0, windowMinutes: 5, channels: {} }).expect(201)).body.data;
    const evaluated = (await t.http().post('/api/alerts/evaluate').set(auth).expect(200)).body.data.evaluations;
    expect(evaluated).toEqual(expect.arrayContaining([expect.objectContaining({ ruleId: rule.id, opened: expect.any(String) })]));

    const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    await signIn(page, admin);
    const open = page.locator('[data-testid="incidents"] [data-testid="incident-open"]');
    await open.first().waitFor({ timeout: 10_000 });
    expect(await open.first().innerText()).toContain('Backlog watch');
    mkdirSync(OUTPUT, { recursive: true });
    await page.locator('[data-testid="incidents"]').screenshot({ path: join(OUTPUT, 'incidents.png') });
    await page.close();
    await t.http().delete(`/api/alerts/rules/${rule.id}`).set(auth).expect(200);
  });

  it('shows customer endpoints failing first, and redelivers and recovers, each confirmed and said in words, against an endpoint answering 500', async () => {
    const down = await FakeEndpoint.start();
    down.mode = { status: 500, body: 'customer down' };
    try {
      const workspace = await t.given.workspace();
      const producer = await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id });
      const endpoint = (await t.http().post('/api/webhook-endpoints').set('Authorization', `Bearer ${producer.token}`)
        .send({ url: down.url('/hooks/videogen'), eventTypes: ['video.completed'] }).expect(201)).body.data;
      const messageId = await t.app.get(OutboundEvents).publish(workspace.id, 'video.completed', { videoId: 'v-panel' });
      await eventually(() => expect(down.received.length).toBeGreaterThanOrEqual(1), 10_000);
      await t.app.get(JobRunner).drain(10_000);
      const admin = await t.given.user({ role: Role.SuperAdmin });

      const page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
      await signIn(page, admin);
      const card = page.locator(`[data-testid="endpoint"][data-endpoint-id="${endpoint.id}"]`);
      await card.waitFor({ timeout: 10_000 });
      // Failing first, with when it started failing, the codes of its attempts and the next retry.
      expect(await page.locator('[data-testid="endpoint"]').first().getAttribute('data-endpoint-id')).toBe(endpoint.id);
      expect(await card.getAttribute('data-state')).toBe('failing');
      expect(await card.locator('[data-testid="failing-since"]').innerText()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(.+ ago\)$/);
      await eventually(async () => expect(await card.locator('[data-testid="endpoint-attempt"]').first().getAttribute('data-code')).toBe('500'), 10_000);
      expect(await card.locator('[data-testid="endpoint-attempt"]').first().innerText()).toContain('HTTP 500');
      expect(await card.locator('[data-testid="next-retry"]').innerText()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(1 message waits\)$/);
      // Never the endpoint's secret.
      expect(await page.content()).not.toContain(endpoint.secret.slice(6, 26));
      mkdirSync(OUTPUT, { recursive: true });
      await page.locator('[data-testid="customer-endpoints"]').screenshot({ path: join(OUTPUT, 'customer-endpoints-failing.png') });

      // Redeliver asks first; cancelled, nothing is sent.
      const confirm = page.locator('[data-testid="confirm"]');
      await card.locator('[data-testid="redeliver"]').first().click();
      await confirm.waitFor();
      expect(await text(page, 'endpoint-confirm-text')).toContain(`Message ${messageId} (video.completed) will be sent to ${down.url('/hooks/videogen')} once more`);
      await page.screenshot({ path: join(OUTPUT, 'customer-endpoints-redeliver-confirm.png') });
      await confirm.locator('[data-testid="confirm-no"]').click();
      await confirm.waitFor({ state: 'detached' });
      expect(await card.locator('[data-testid="endpoint-attempt"][data-trigger="manual"]').count()).toBe(0);
      // Confirmed: queued, said in words, and its attempt (500 again) shows in the card.
      await card.locator('[data-testid="redeliver"]').first().click();
      await confirm.locator('[data-testid="confirm-yes"]').click();
      await eventually(async () => expect(await text(page, 'endpoint-action-result')).toBe(
        `Redelivery queued: message ${messageId} is sent to the endpoint once more, with the same webhook-id; its attempt appears in the list within seconds.`), 10_000);
      await card.locator('[data-testid="endpoint-attempt"][data-trigger="manual"][data-code="500"]').waitFor({ timeout: 20_000 });

      // Its retries spent (made so here rather than waited for over three days), and the customer's
      // endpoint fixed: recover sends the message again, and the endpoint is healthy.
      await t.connection.collection('webhookMessages').updateOne({ messageId }, { $set: { status: 'failed' }, $unset: { nextAttemptAt: 1 } });
      down.mode = 'ok';
      await card.locator('[data-testid="recover"]').click();
      await confirm.waitFor();
      expect(await text(page, 'endpoint-confirm-text')).toMatch(/^Every message to .* that failed for good \(its retries spent\), of those created since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(4 days before it started failing/);
      await confirm.locator('[data-testid="confirm-yes"]').click();
      await eventually(async () => expect(await text(page, 'endpoint-action-result')).toBe(
        'Queued 1 message that had failed for good to be sent once more, oldest first; their attempts appear in the list within seconds.'), 10_000);
      await eventually(async () => expect(await card.getAttribute('data-state')).toBe('healthy'), 20_000, 200);
      expect(await card.locator('[data-testid="endpoint-attempt"]').first().getAttribute('data-code')).toBe('204');
      expect(await card.locator('[data-testid="next-retry"]').innerText()).toBe('none: no message waits');
      await page.locator('[data-testid="customer-endpoints"]').screenshot({ path: join(OUTPUT, 'customer-endpoints-recovered.png') });
      await page.close();
    } finally {
      await down.stop();
    }
  });

  it('the chart\'s buckets follow the range, stuck videos are those past a stated threshold, and data that stopped updating is marked stale', async () => {
    // A video RCK took 45 minutes ago and never finished (under the 120 minutes after which the
    // orphan sweep fails it).
    const { ids } = await givenVideos(1);
    await t.app.get(JobRunner).drain(10_000);
    const videos = t.app.get<Model<AIVideo>>(getModelToken(AIVideo.name));
    const taken = new Date(Date.now() - 45 * 60_000);
    await videos.updateOne({ _id: new Types.ObjectId(ids[0]) }, { $set: { status: 'generating', 'metadata.dispatchedAt': taken } }).exec();
    const admin = await t.given.user({ role: Role.SuperAdmin });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
    await signIn(page, admin);
    await page.waitForSelector('[data-testid="live-state"]:text("live")', { timeout: 15_000 });

    await eventually(async () => expect(await text(page, 'bucket-size')).toBe('hour'), 10_000);
    await page.selectOption('[data-testid="range"]', '1h');
    await eventually(async () => expect(await text(page, 'bucket-size')).toBe('5 minutes'), 10_000);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'overview-last-hour.png'), fullPage: true });
    await page.selectOption('[data-testid="range"]', '30d');
    await eventually(async () => expect(await text(page, 'bucket-size')).toBe('day'), 10_000);

    expect(await text(page, 'stuck-threshold')).toBe('30 min');
    const stuck = page.locator('[data-testid="stuck"] tbody tr', { has: page.locator(`[data-testid="video-link"]:text("${ids[0]}")`) });
    await stuck.waitFor({ timeout: 10_000 });
    expect(await stuck.innerText()).toContain('45 min');

    // The live feed loses its connection: the page says since when what it shows is stale; back
    // online, it reconnects and the notice goes.
    expect(await page.locator('[data-testid="stale"]').count()).toBe(0);
    // Offline, and the connection cut (the emulation keeps an open response going), as a network
    // drop would: the stream ends and cannot come back.
    await page.context().setOffline(true);
    (t.app.getHttpServer() as Server).closeAllConnections();
    const stale = page.locator('[data-testid="stale"]');
    await stale.waitFor({ timeout: 15_000 });
    expect(await stale.innerText()).toMatch(/^Stale since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: the live feed is disconnected \(reconnecting\)\. What is shown may be out of date\.$/);
    // A panel's next reload fails too (the endpoints panel reloads every 15 s): what it shows stays, marked stale.
    const panelStale = page.locator('[data-testid="customer-endpoints"] [data-testid="panel-stale"]');
    await panelStale.waitFor({ timeout: 20_000 });
    expect(await panelStale.innerText()).toMatch(/^Stale since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: it could not be loaded again \(The API could not be reached\)\.$/);
    expect(await page.locator('[data-testid="customer-endpoints"] [data-testid="endpoint"]').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(OUTPUT, 'overview-stale.png') });
    await page.context().setOffline(false);
    await stale.waitFor({ state: 'detached', timeout: 30_000 });
    await page.waitForSelector('[data-testid="live-state"]:text("live")', { timeout: 15_000 });
    await panelStale.waitFor({ state: 'detached', timeout: 20_000 });
    await page.close();
  });

  it('fits phones (360, 390, 430 px) and the desktop on every view with no sideways scrolling; the feed and the explorer become cards; times in UTC whatever the browser\'s zone', async () => {
    const { ids } = await givenVideos(2);
    await callback('failure', { videoId: ids[0], error: 'Template not found: the template id given is not one RCK knows about' });
    await callback('success', { videoId: ids[1], youtubeVideoId: 'yt-phone' });
    const admin = await t.given.user({ role: Role.SuperAdmin });
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, timezoneId: 'America/Los_Angeles' });
    const page = await context.newPage();
    await signIn(page, admin);
    await page.waitForSelector('[data-testid="live-state"]:text("live")', { timeout: 15_000 });
    const token = await page.evaluate(() => sessionStorage.getItem('videogen.dashboard.token'));
    const event = (await t.http().get('/api/webhook-events').query({ videoId: ids[1] }).set('Authorization', `Bearer ${token}`).expect(200)).body.data.events[0];

    // The browser is in Los Angeles; the page writes UTC, and says so.
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe('America/Los_Angeles');
    const feedRow = page.locator(`[data-testid="feed-row"][data-event-id="${event._id}"]`);
    await feedRow.waitFor({ timeout: 10_000 });
    expect(await feedRow.locator('[data-testid="feed-time"]').innerText()).toContain(new Date(event.createdAt).toISOString().slice(11, 19));
    expect(await page.locator('[data-testid="feed"] thead').innerText()).toContain('Time (UTC)');

    const views = [
      { name: 'overview', query: '', ready: '[data-testid="success-rate"]' },
      { name: 'explorer', query: '?view=events', ready: '[data-testid="event-row"]' },
      { name: 'event-detail', query: `?view=events&event=${event._id}`, ready: '[data-testid="detail-outcome"]' },
      { name: 'timeline', query: `?view=timeline&video=${ids[0]}`, ready: '[data-testid="timeline-entry"]' },
    ];
    mkdirSync(OUTPUT, { recursive: true });
    for (const width of [360, 390, 430, 1400]) {
      const phone = width < 1000;
      await page.setViewportSize({ width, height: phone ? 800 : 1000 });
      for (const view of views) {
        await page.goto(`${baseUrl}/dashboard/${view.query}`);
        await page.locator(view.ready).first().waitFor({ timeout: 10_000 });
        if (view.name === 'overview') await page.locator('[data-testid="feed-row"]').first().waitFor({ timeout: 10_000 });
        const fit = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
        expect({ view: view.name, width, ...fit, overflows: fit.scrollWidth > fit.innerWidth }).toEqual({ view: view.name, width, ...fit, overflows: false });
        // Nothing sticks out on either side either (a fixed drawer wider than the screen would be cut
        // on the left without widening the page), unless it is inside something that scrolls it.
        const outside = await page.evaluate(() => [...document.body.querySelectorAll('*')].filter((el) => {
          const box = el.getBoundingClientRect();
          if (box.width === 0 || (box.left >= -1 && box.right <= window.innerWidth + 1)) return false;
          for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) if (getComputedStyle(up).overflowX !== 'visible') return false;
          return true;
        }).map((el) => `${el.tagName.toLowerCase()}.${el.className}`));
        expect({ view: view.name, width, outside }).toEqual({ view: view.name, width, outside: [] });
        if (view.name === 'overview' || view.name === 'explorer') {
          // Cards on a phone (no header row), a table on the desktop; every row's actions on screen.
          const table = page.locator(view.name === 'overview' ? '[data-testid="feed"]' : '[data-testid="events"]');
          expect(await table.locator('thead').isVisible()).toBe(!phone);
          const rights = await table.locator('[data-testid="details"]').evaluateAll((links) => links.map((link) => link.getBoundingClientRect().right));
          expect(rights.length).toBeGreaterThan(0);
          expect(rights.filter((right) => right > width)).toEqual([]);
        }
        await page.screenshot({ path: join(OUTPUT, `${phone ? 'phone' : 'desktop'}-${width}-${view.name}.png`), fullPage: true });
      }
    }
    await context.close();
  });

  it('asks to sign in again when the API stops taking the session\'s token', async () => {
    const admin = await t.given.user({ role: Role.SuperAdmin });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await signIn(page, admin);
    await page.waitForSelector('[data-testid="nav-events"]', { timeout: 10_000 });
    // The account is switched off: its token is refused from now on.
    await t.app.get<Model<User>>(getModelToken(User.name)).updateOne({ _id: admin.id }, { $set: { active: false } }).exec();
    // Any call with the refused token ends the session: this click's, or a panel's next poll (the
    // sources and endpoints panels reload on their own), which may already have replaced the
    // page by the sign-in form, link and all.
    await page.locator('[data-testid="nav-events"]').click({ timeout: 5_000 }).catch(() => undefined);
    const notice = page.locator('[data-testid="session-ended"]');
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.innerText()).toBe('Your session has ended; sign in again.');
    expect(await page.evaluate(() => sessionStorage.getItem('videogen.dashboard.token'))).toBeNull();
    expect(await page.locator('input[name=email]').count()).toBe(1);
    await page.close();
  });

  it('refuses a non-superadmin who signs in, and the API refuses their token too', async () => {
    const producer = await t.given.user({ role: Role.Producer });
    const page = await browser.newPage();
    await signIn(page, producer);
    const refused = page.locator('[data-testid="refused"]');
    await refused.waitFor({ timeout: 10_000 });
    expect(await refused.innerText()).toContain('Access refused');
    expect(await refused.innerText()).toContain(producer.email);
    expect(await page.locator('[data-testid="counters"]').count()).toBe(0);
    const token = await page.evaluate(() => sessionStorage.getItem('videogen.dashboard.token'));
    await t.http().get('/api/monitoring/summary').set('Authorization', `Bearer ${token}`).expect(403);
    await page.close();
  });

  it('serves the page without a token, with index.html uncached and hashed assets cached', async () => {
    const redirect = await fetch(`${baseUrl}/dashboard`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/dashboard/');
    const index = await fetch(`${baseUrl}/dashboard/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(html)![1];
    const script = await fetch(`${baseUrl}${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toContain('immutable');
  });
});
