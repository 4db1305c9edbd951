import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { Role } from '../src/common/role.enum.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { FakeRck } from './utils/fake-rck.js';
import { REPO_ROOT } from './utils/paths.js';
import { rckHeaders } from './utils/rck-signing.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it when missing), never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const OUTPUT = join(REPO_ROOT, 'test-output');

/** The overview's webhook sources panel (dashboard/src/components/Sources.tsx), driven in a real browser. */
describe('Dashboard: pausing and resuming a webhook source in Chromium (e2e)', () => {
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
    mkdirSync(OUTPUT, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t.close();
    await rck.stop();
  });

  it('pauses RCK from the page, shows the deliveries waiting, resumes, and shows them applied', async () => {
    const { ids } = await t.given.videos(2);
    const admin = await t.given.user({ role: Role.SuperAdmin });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    await page.goto(`${baseUrl}/dashboard`);
    await page.fill('input[name=email]', admin.email);
    await page.fill('input[name=password]', admin.password);
    await page.click('button[type=submit]');

    const rckRow = page.locator('[data-testid="source-rck"]');
    await page.waitForSelector('[data-testid="source-rck"][data-state="active"]', { timeout: 15_000 });
    expect(await page.locator('[data-testid="source-heygen"]').getAttribute('data-state')).toBe('active');

    // Pause, behind a confirmation that says what pausing does.
    await page.click('[data-testid="pause-rck"]');
    const dialog = page.locator('[data-testid="confirm"]');
    expect(await dialog.innerText()).toContain("RCK's deliveries will still be verified, stored and answered");
    await page.screenshot({ path: join(OUTPUT, 'sources-pause-confirm.png') });
    await page.click('[data-testid="confirm-yes"]');
    await page.waitForSelector('[data-testid="source-rck"][data-state="paused"]', { timeout: 5000 });
    expect(await page.locator('[data-testid="source-result"]').innerText()).toBe(
      'rck paused: its deliveries are verified, stored and answered, and held until it is resumed',
    );
    expect(await rckRow.innerText()).toContain(`by ${admin.email}`);

    // Two signed callbacks arrive while paused: answered, held, the videos unchanged.
    for (const [i, id] of ids.entries()) {
      const raw = JSON.stringify({ videoId: id, youtubeVideoId: `yt-${i}` });
      const answer = await t.http().post('/internal/videos/success').set(rckHeaders(raw)).send(raw).expect(200);
      expect(answer.body.data).toEqual({ videoId: id, held: true });
    }
    // The panel reads the sources again every 5 s.
    await page.waitForSelector('[data-testid="source-rck"][data-waiting="2"]', { timeout: 10_000 });
    expect(await page.locator('[data-testid="source-rck-waiting"]').innerText()).toBe('2');
    for (const id of ids) expect((await t.app.get(AIVideoRepository).findById(id))!.status).toBe('generating');
    await page.locator('[data-testid="sources"]').screenshot({ path: join(OUTPUT, 'sources-paused.png') });

    // Resume: the confirmation counts what will be applied; the page says what happened.
    await page.click('[data-testid="resume-rck"]');
    expect(await dialog.innerText()).toContain('The 2 held deliveries will be applied in the order they arrived');
    await page.click('[data-testid="confirm-yes"]');
    await page.waitForSelector('[data-testid="source-result"]:text("rck resuming")', { timeout: 5000 });
    expect(await page.locator('[data-testid="source-result"]').innerText()).toMatch(/^rck resuming: 2 held deliveries are being applied in arrival order/);
    await t.app.get(JobRunner).drain(30_000, { includeScheduled: true });
    for (const id of ids) expect((await t.app.get(AIVideoRepository).findById(id))!.status).toBe('completed');
    await page.waitForSelector('[data-testid="source-rck"][data-state="active"][data-waiting="0"]', { timeout: 10_000 });
    expect(await page.locator('[data-testid="source-result"]').innerText()).toBe(
      'rck resuming: 2 held deliveries are being applied in arrival order — done: every held delivery was applied, and RCK is active again.',
    );
    await page.locator('[data-testid="sources"]').screenshot({ path: join(OUTPUT, 'sources-resumed.png') });
    await page.close();
  });
});
