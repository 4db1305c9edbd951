import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Inject, Injectable, OnModuleInit, Provider } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { JOBS_COLLECTION, StoredJob } from '../src/jobs/job.collection.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { uniqueDatabaseName } from './utils/mongo-uri.js';
import { createTestApp, TestApp } from './utils/test-app.js';

/** What a test job is asked to do. */
interface Payload {
  id: string;
  sleepMs?: number;
  /** test.retry: throw on the first failTimes runs (default: always). */
  failTimes?: number;
  /** Make onFinalFailure itself throw. */
  hookThrows?: boolean;
}

interface Run {
  id: string;
  instance: string;
  jobId: string;
  attempt: number;
  at: number;
}

// Every application instance in this process records here, so a run on either instance shows.
const runs: Run[] = [];
const finalFailures: Array<{ id: string; attempt: number; message: string; instance: string }> = [];
const runsOf = (id: string) => runs.filter((run) => run.id === id);

const INSTANCE = 'TEST_JOBS_INSTANCE';
const BACKOFF = { delayMs: 50, factor: 2, maxRetries: 3 };
const LOCK_LIFETIME_MS = 400;

/** Test-only job definitions, registered the way feature modules will: a provider's onModuleInit. */
@Injectable()
class TestJobs implements OnModuleInit {
  constructor(private readonly jobs: JobRunner, @Inject(INSTANCE) private readonly instance: string) {}

  onModuleInit(): void {
    const record = (data: Payload, ctx: { jobId: string; attempt: number }) => {
      runs.push({ id: data.id, instance: this.instance, jobId: ctx.jobId, attempt: ctx.attempt, at: Date.now() });
    };
    const onFinalFailure = async (data: Payload, error: Error, ctx: { attempt: number }) => {
      finalFailures.push({ id: data.id, attempt: ctx.attempt, message: error.message, instance: this.instance });
      if (data.hookThrows) throw new Error('the final-failure hook broke too');
    };

    this.jobs.define<Payload>('test.record', async (data, ctx) => {
      record(data, ctx);
      if (data.sleepMs) await sleep(data.sleepMs);
    });
    this.jobs.define<Payload>(
      'test.retry',
      async (data, ctx) => {
        record(data, ctx);
        if (ctx.attempt <= (data.failTimes ?? Infinity)) throw new Error(`boom ${ctx.attempt}`);
      },
      { backoff: BACKOFF, onFinalFailure },
    );
    this.jobs.define<Payload>(
      'test.no-retry',
      async (data, ctx) => {
        record(data, ctx);
        throw new Error('no luck');
      },
      { onFinalFailure },
    );
    // The first run never finishes, as if its worker had died mid-run.
    this.jobs.define<Payload>(
      'test.hang-first',
      async (data, ctx) => {
        record(data, ctx);
        if (ctx.attempt === 1) await new Promise(() => undefined);
      },
      { lockLifetimeMs: LOCK_LIFETIME_MS },
    );
    this.jobs.define<Payload>('test.tick', async (data, ctx) => record(data, ctx));
  }
}

const testJobs = (instance: string): Provider[] => [TestJobs, { provide: INSTANCE, useValue: instance }];

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

const storedJob = (t: TestApp, id: string) => t.connection.db!.collection<StoredJob>(JOBS_COLLECTION).findOne({ 'data.id': id });

/** Collects the JSON log lines an app writes. */
class LogCapture {
  readonly lines: Array<Record<string, any>> = [];
  write(chunk: string): void {
    for (const line of chunk.split('\n').filter(Boolean)) this.lines.push(JSON.parse(line));
  }
}

describe('JobRunner on one instance', () => {
  const logs = new LogCapture();
  let t: TestApp;
  let jobs: JobRunner;

  beforeAll(async () => {
    t = await createTestApp({ env: { LOG_LEVEL: 'warn' }, logDestination: logs, providers: testJobs('solo') });
    jobs = t.app.get(JobRunner);
  });
  afterAll(() => t.close());

  it('runs an enqueued job once, as attempt 1', async () => {
    await jobs.enqueue<Payload>('test.record', { id: 'once' });
    await jobs.drain(5000);
    expect(runsOf('once')).toEqual([expect.objectContaining({ attempt: 1, instance: 'solo' })]);
    expect(await jobs.counts()).toEqual({ waiting: 0, running: 0, failed: 0 });
  });

  it('retries a failing job on its backoff and reports the final failure once, after maxRetries + 1 runs', async () => {
    await jobs.enqueue<Payload>('test.retry', { id: 'always-fails' });
    await jobs.drain(10_000, { includeScheduled: true });

    const attempts = runsOf('always-fails');
    expect(attempts.map((run) => run.attempt)).toEqual([1, 2, 3, 4]);
    // Each retry waits at least its delay: 50, 100, 200 ms (no jitter here).
    const gaps = attempts.slice(1).map((run, i) => run.at - attempts[i].at);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(BACKOFF.delayMs * 2 ** i - 5));
    expect(finalFailures.filter((f) => f.id === 'always-fails')).toEqual([
      { id: 'always-fails', attempt: 4, message: 'boom 4', instance: 'solo' },
    ]);

    // It stays failed, visible in MongoDB, and is never run again: nothing is scheduled for it
    // (no nextRunAt), and once every due and scheduled job has run it still ran 4 times.
    expect(await storedJob(t, 'always-fails')).toEqual(expect.objectContaining({
      failReason: 'boom 4', failCount: 4, failedAt: expect.any(Date), nextRunAt: null, lockedAt: null,
    }));
    await jobs.enqueue<Payload>('test.record', { id: 'after-always-fails' });
    await jobs.drain(5000, { includeScheduled: true });
    expect(runsOf('after-always-fails')).toHaveLength(1);
    expect(runsOf('always-fails')).toHaveLength(4);
    expect(finalFailures.filter((f) => f.id === 'always-fails')).toHaveLength(1);
    expect((await jobs.counts()).failed).toBe(1);
  });

  it('does not count a job that recovered within its retries as failed', async () => {
    const before = await jobs.counts();
    await jobs.enqueue<Payload>('test.retry', { id: 'fails-twice', failTimes: 2 });
    await jobs.drain(10_000, { includeScheduled: true });
    expect(runsOf('fails-twice').map((run) => run.attempt)).toEqual([1, 2, 3]);
    expect(finalFailures.filter((f) => f.id === 'fails-twice')).toEqual([]);
    // agenda keeps the last failReason and failedAt after the success, but resets failCount.
    expect(await storedJob(t, 'fails-twice')).toEqual(expect.objectContaining({ failReason: 'boom 2', failCount: 0, nextRunAt: null }));
    expect((await jobs.counts()).failed).toBe(before.failed);
  });

  it('does not retry a failed run without a backoff', async () => {
    const before = await jobs.counts();
    await jobs.enqueue<Payload>('test.no-retry', { id: 'no-backoff' });
    await jobs.drain(5000, { includeScheduled: true });
    // No retry is scheduled; a job enqueued after it runs while it does not.
    expect(await storedJob(t, 'no-backoff')).toEqual(expect.objectContaining({ failReason: 'no luck', failCount: 1, nextRunAt: null, lockedAt: null }));
    await jobs.enqueue<Payload>('test.record', { id: 'after-no-backoff' });
    await jobs.drain(5000, { includeScheduled: true });
    expect(runsOf('after-no-backoff')).toHaveLength(1);
    expect(runsOf('no-backoff').map((run) => run.attempt)).toEqual([1]);
    expect(finalFailures.filter((f) => f.id === 'no-backoff')).toEqual([expect.objectContaining({ attempt: 1, message: 'no luck' })]);
    expect((await jobs.counts()).failed).toBe(before.failed + 1);
  });

  it('logs an onFinalFailure that throws and keeps the job failed with its own error', async () => {
    await jobs.enqueue<Payload>('test.no-retry', { id: 'hook-throws', hookThrows: true });
    await jobs.drain(5000, { includeScheduled: true });
    expect(finalFailures.filter((f) => f.id === 'hook-throws')).toHaveLength(1);
    expect(await storedJob(t, 'hook-throws')).toEqual(expect.objectContaining({ failReason: 'no luck', failCount: 1, nextRunAt: null }));
    const jobId = runsOf('hook-throws')[0].jobId;
    expect(logs.lines).toContainEqual(expect.objectContaining({
      context: 'JobRunner', level: 50, msg: `test.no-retry ${jobId}: onFinalFailure threw: the final-failure hook broke too`,
    }));
    expect(logs.lines).toContainEqual(expect.objectContaining({
      context: 'JobRunner', level: 50, msg: `test.no-retry ${jobId} failed for good on attempt 1: no luck`,
    }));
  });

  it('keeps one pending job per name and uniqueKey; the key is free again once its job has started', async () => {
    const runAt = new Date(Date.now() + 300);
    await jobs.enqueue<Payload>('test.record', { id: 'unique-first' }, { runAt, uniqueKey: { videoId: 'v1', step: 'dispatch' } });
    await jobs.enqueue<Payload>('test.record', { id: 'unique-second' }, { runAt, uniqueKey: { step: 'dispatch', videoId: 'v1' } });
    await Promise.all([1, 2, 3].map((n) => jobs.enqueue<Payload>('test.record', { id: `unique-race-${n}` }, { uniqueKey: { videoId: 'v1', step: 'dispatch' } })));
    await jobs.enqueue<Payload>('test.record', { id: 'unique-other-key' }, { runAt, uniqueKey: { videoId: 'v2', step: 'dispatch' } });
    // The same key under another job name is another job.
    await jobs.enqueue<Payload>('test.retry', { id: 'unique-other-name', failTimes: 0 }, { runAt, uniqueKey: { videoId: 'v1', step: 'dispatch' } });
    expect((await jobs.counts()).waiting).toBe(3);

    await jobs.drain(5000, { includeScheduled: true });
    const ran = runs.filter((run) => run.id.startsWith('unique-')).map((run) => run.id).sort();
    expect(ran).toEqual(['unique-first', 'unique-other-key', 'unique-other-name']);

    await jobs.enqueue<Payload>('test.record', { id: 'unique-again' }, { uniqueKey: { videoId: 'v1', step: 'dispatch' } });
    await jobs.drain(5000);
    expect(runsOf('unique-again')).toHaveLength(1);
  });

  it('enqueues a job with a onceKey once for good: again while it waits, after it ran, and in a race, nothing more', async () => {
    const key = { videoId: 'v9', version: 3 };
    await Promise.all([1, 2, 3].map((n) => jobs.enqueue<Payload>('test.record', { id: `once-race-${n}` }, { onceKey: key })));
    await jobs.enqueue<Payload>('test.record', { id: 'once-waiting' }, { onceKey: { version: 3, videoId: 'v9' } });
    await jobs.drain(5000);
    expect(runs.filter((run) => run.id.startsWith('once-'))).toHaveLength(1);

    await jobs.enqueue<Payload>('test.record', { id: 'once-after' }, { onceKey: key });
    await jobs.enqueue<Payload>('test.record', { id: 'once-next-version' }, { onceKey: { ...key, version: 4 } });
    await jobs.drain(5000);
    expect(runs.filter((run) => run.id.startsWith('once-')).map((run) => run.id).slice(1)).toEqual(['once-next-version']);
    await expect(jobs.enqueue('test.record', { id: 'both' }, { onceKey: key, uniqueKey: key })).rejects.toThrow('exclude each other');
  });

  it('runs a job with runAt no earlier than asked', async () => {
    const runAt = new Date(Date.now() + 400);
    await jobs.enqueue<Payload>('test.record', { id: 'later' }, { runAt });
    expect(await jobs.counts()).toEqual(expect.objectContaining({ waiting: 1, running: 0 }));
    expect(await storedJob(t, 'later')).toEqual(expect.objectContaining({ nextRunAt: runAt, lockedAt: null }));
    await jobs.drain(5000, { includeScheduled: true });
    expect(runsOf('later')).toHaveLength(1);
    expect(runsOf('later')[0].at).toBeGreaterThanOrEqual(runAt.getTime());
  });

  it('refuses an unknown job name and a bad definition', async () => {
    await expect(jobs.enqueue('test.nonexistent', {})).rejects.toThrow('No job named "test.nonexistent" is defined');
    expect(() => jobs.define('test.record', async () => undefined)).toThrow('already defined');
    expect(() => jobs.define('test.bad', async () => undefined, { backoff: { delayMs: 10, maxRetries: -1 } })).toThrow('maxRetries');
  });

  it('closes promptly with jobs defined, scheduled and recurring', async () => {
    const other = await createTestApp({ providers: testJobs('closing') });
    const otherJobs = other.app.get(JobRunner);
    await otherJobs.every('test.tick', 60_000, { id: 'closing-tick' });
    await otherJobs.enqueue<Payload>('test.record', { id: 'closing-later' }, { runAt: new Date(Date.now() + 60_000) });
    await otherJobs.drain(5000);
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('JobRunner on two instances sharing one database', () => {
  const dbName = uniqueDatabaseName('jobs');
  const env = { JOBS_SHUTDOWN_GRACE_MS: '200' };
  const instances = new Map<string, TestApp>();
  const jobsOf = (name: string) => instances.get(name)!.app.get(JobRunner);

  beforeAll(async () => {
    for (const name of ['A', 'B']) instances.set(name, await createTestApp({ env, dbName, providers: testJobs(name) }));
  });
  afterAll(async () => {
    const open = [...instances.values()];
    await open[0]?.connection.dropDatabase();
    for (const t of open) await t.close();
  });

  it('runs each of 200 jobs exactly once across both instances', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `bulk-${i}`);
    await Promise.all(ids.map((id, i) => jobsOf(i % 2 ? 'A' : 'B').enqueue<Payload>('test.record', { id, sleepMs: 5 })));
    await jobsOf('A').drain(30_000);

    const bulk = runs.filter((run) => run.id.startsWith('bulk-'));
    const timesRun = new Map<string, number>();
    for (const run of bulk) timesRun.set(run.id, (timesRun.get(run.id) ?? 0) + 1);
    expect(ids.filter((id) => !timesRun.has(id))).toEqual([]); // none missing
    expect([...timesRun].filter(([, n]) => n > 1)).toEqual([]); // none twice
    expect(bulk).toHaveLength(200);
    // Each instance claims at most JOBS_CONCURRENCY jobs per poll, so both take a share.
    expect(bulk.filter((run) => run.instance === 'A').length).toBeGreaterThan(0);
    expect(bulk.filter((run) => run.instance === 'B').length).toBeGreaterThan(0);
    expect(await jobsOf('B').counts()).toEqual({ waiting: 0, running: 0, failed: 0 });
  });

  it('keeps one recurring job per name however many instances register it', async () => {
    for (const name of ['A', 'B', 'A']) await jobsOf(name).every('test.tick', 100, { id: 'tick' });
    const jobsCollection = instances.get('A')!.connection.db!.collection(JOBS_COLLECTION);
    expect(await jobsCollection.countDocuments({ name: 'test.tick' })).toBe(1);
    await waitFor(() => runsOf('tick').length >= 3);
    // Each occurrence is a new first attempt.
    expect(runsOf('tick').every((run) => run.attempt === 1)).toBe(true);
    await jobsCollection.deleteMany({ name: 'test.tick' });
  });

  it('takes over a job whose worker died, once its lock has expired', async () => {
    await jobsOf('A').enqueue<Payload>('test.hang-first', { id: 'orphan' });
    await waitFor(() => runsOf('orphan').length === 1);
    const [first] = runsOf('orphan');
    const survivor = first.instance === 'A' ? 'B' : 'A';
    expect(await jobsOf(survivor).counts()).toEqual(expect.objectContaining({ running: 1 }));

    // The worker goes away mid-run: its job stays locked, and closing does not wait for it
    // beyond the shutdown grace.
    const closing = Date.now();
    await instances.get(first.instance)!.close();
    instances.delete(first.instance);
    expect(Date.now() - closing).toBeLessThan(1500);

    await waitFor(() => runsOf('orphan').length === 2, 5000);
    const [, second] = runsOf('orphan');
    expect(second).toEqual(expect.objectContaining({ instance: survivor, attempt: 2, jobId: first.jobId }));
    expect(second.at - first.at).toBeGreaterThanOrEqual(LOCK_LIFETIME_MS - 5);
    await jobsOf(survivor).drain(5000);
    expect(await storedJob(instances.get(survivor)!, 'orphan')).toEqual(expect.objectContaining({
      lockedAt: null, nextRunAt: null, lastFinishedAt: expect.any(Date), failCount: null,
    }));
    expect(runsOf('orphan')).toHaveLength(2);
  });
});
