import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { Role } from '../src/auth/role.enum.js';
import { eventually } from './utils/eventually.js';
import { FakeRck } from './utils/fake-rck.js';
import { REPO_ROOT } from './utils/paths.js';
import { rckHeaders } from './utils/rck-signing.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';

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
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    rck = await FakeRck.start();
    t = await createTestApp({ env: videosTestEnv(rck) });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = await t.app.getUrl();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await t.close();
    await rck.stop();
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
      expect(await text(page, 'success-rate')).toBe(`${(stats.outcomes.successRate * 100).toFixed(1)} %`);
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

    // Its stored event, and a replay (recorded as a new delivery that arrives in the feed too).
    const eventId = await row.getAttribute('data-event-id');
    await row.locator('button', { hasText: 'event' }).click();
    await eventually(async () => expect(await text(page, 'event-detail')).toContain(`"_id": "${eventId}"`), 5000);
    await row.locator('button', { hasText: 'replay' }).click();
    await eventually(async () => expect(await text(page, 'event-detail')).toContain(`"replayOf": "${eventId}"`), 5000);
    await eventually(async () => expect(await page.locator(`[data-testid="feed-row"][data-video-id="${ids[2]}"]`).count()).toBe(2), 5000);
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
