import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda, AgendaBackend, exponential, Job, JobWithId, RetryDetails } from 'agenda';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors.js';
import { jobsConfig, type JobsConfig } from './jobs.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { JOBS_COLLECTION, JobCollection, JobSummary, StoredJob } from './job.collection.js';

/** Exponential backoff: the n-th retry waits delayMs × factor^(n-1), at most maxDelayMs, ± jitter × that. */
export interface JobBackoff {
  delayMs: number;
  /** Default 2. */
  factor?: number;
  /** Retries after the first run: maxRetries 3 means at most four runs. */
  maxRetries: number;
  maxDelayMs?: number;
  /** 0 to 1; default 0 (no jitter). 0.2 spreads each delay over ±20 %. */
  jitter?: number;
}

export interface JobContext {
  jobId: string;
  /**
   * 1 for the first run. Counts every run since the job was created (for a recurring job: since
   * its last success), including a run whose worker died, which is not a failure for the retry
   * budget: only runs that threw count against maxRetries.
   */
  attempt: number;
}

export interface JobDefinitionOptions<T> {
  /** Runs of this job at once on one instance; default, and bounded by, JOBS_CONCURRENCY (all jobs of an instance together). */
  concurrency?: number;
  /** Default JOBS_LOCK_LIFETIME_MS. A run longer than this is presumed dead and taken over. */
  lockLifetimeMs?: number;
  /** Absent: a failed run is not retried. */
  backoff?: JobBackoff;
  /**
   * Called once, after the last allowed run failed (retries exhausted or no backoff); for a
   * recurring job, after each occurrence that failed for good. Errors thrown here are logged,
   * never rethrown.
   */
  onFinalFailure?: (data: T, error: Error, ctx: JobContext) => Promise<void>;
}

export interface EnqueueOptions {
  /** Not before this time; default now. */
  runAt?: Date;
  /**
   * Any JSON-able value identifying the work (e.g. `{ videoId }`): while a job of this name and
   * key waits to start, enqueueing it again does nothing (the first one's data and runAt stand).
   * Once it has started, the same key may be enqueued again.
   */
  uniqueKey?: Record<string, unknown>;
  /**
   * Like uniqueKey, but for good: a job of this name and key is enqueued once, ever (as long as
   * the job's document is kept), whether it waits, runs or has run. For work that must happen
   * exactly once however often its cause is replayed (a notice owed by one state change).
   */
  onceKey?: Record<string, unknown>;
}

export interface DrainOptions {
  /** Also wait for one-off jobs scheduled later (runAt, retries waiting for their backoff). */
  includeScheduled?: boolean;
}

export interface JobCounts {
  /** One-off jobs due or scheduled, not locked (recurring jobs are always scheduled: not counted). */
  waiting: number;
  /** Locked by an instance (running, or claimed and about to run). */
  running: number;
  /** Failed for good: will not run again. */
  failed: number;
}

export type { JobSummary } from './job.collection.js';

const DRAIN_POLL_MS = 25;

/**
 * The one durable job runner: agenda on the service's own MongoDB connection, behind this
 * service so that no other module imports agenda. Jobs survive restarts, are claimed atomically
 * (several instances on one database run each job once), retry with exponential backoff, and a
 * job whose worker died is taken over once its lock expires. A run can still happen twice (a
 * worker that dies after the work but before recording it), so handlers must be idempotent.
 *
 * Lifecycle: providers call define() from onModuleInit; processing starts in
 * onApplicationBootstrap, once every definition exists, and stops in onModuleDestroy.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JobRunner.name);
  private readonly agenda: Agenda;
  private readonly jobs: JobCollection;
  /** Connects agenda and creates our indexes; every database operation waits for it. */
  private readonly ready: Promise<void>;
  /** Ids of runs in progress on this instance, from agenda's start to its complete (state saved). */
  private readonly running = new Set<string>();
  private started = false;
  private stopped = false;

  constructor(
    @InjectConnection() connection: Connection,
    @Inject(jobsConfig.KEY) private readonly config: JobsConfig,
    private readonly metrics: MetricsService,
  ) {
    const db = connection.db;
    if (!db) throw new Error('JobRunner needs an open MongoDB connection');
    this.jobs = new JobCollection(db.collection<StoredJob>(JOBS_COLLECTION));
    const mongoBackend = new MongoBackend({ mongo: db, collection: JOBS_COLLECTION });
    this.ready = Promise.all([mongoBackend.connect(), this.jobs.ensureIndexes()]).then(() => undefined);
    // Awaited (and so reported) by onApplicationBootstrap and every public method.
    this.ready.catch(() => undefined);
    const backend: AgendaBackend = {
      name: mongoBackend.name,
      repository: mongoBackend.repository,
      logger: mongoBackend.logger,
      ownsConnection: false,
      // agenda's constructor calls connect() and leaves a rejection unhandled, which would crash
      // the process; it gets a promise that never rejects, and the error surfaces from our awaits.
      connect: () => this.ready.catch(() => new Promise<void>(() => undefined)),
      disconnect: async () => undefined,
    };

    const { processEveryMs, lockLifetimeMs, concurrency } = config;
    this.agenda = new Agenda({
      backend,
      // Recorded as lastModifiedBy on every job this instance touches.
      name: `${hostname()}#${process.pid}#${randomBytes(2).toString('hex')}`,
      processEvery: processEveryMs,
      defaultLockLifetime: lockLifetimeMs,
      defaultConcurrency: concurrency,
      maxConcurrency: concurrency,
      // An instance claims no more jobs than it can start at once. Left unlimited, agenda claims
      // every due job in one poll and the queued ones can outlive their lock and run twice.
      lockLimit: concurrency,
    });
    metrics.countJobsWith(() => this.counts());
    this.agenda.on('error', (error: Error) => this.logger.error(`agenda: ${error.message}`));
    this.agenda.on('start', (job: JobWithId) => this.running.add(job.attrs._id));
    this.agenda.on('complete', (job: JobWithId) => this.running.delete(job.attrs._id));
    this.agenda.on('retry', (job: JobWithId, details: RetryDetails) =>
      this.logger.warn(
        `${job.attrs.name} ${job.attrs._id} failed (${details.attempt} failure(s)): ${details.error.message}; ` +
          `retrying in ${details.delay} ms`,
      ),
    );
  }

  /** Call from a provider's onModuleInit; every definition exists before processing starts. */
  define<T extends object>(
    name: string,
    handler: (data: T, ctx: JobContext) => Promise<void>,
    options: JobDefinitionOptions<T> = {},
  ): void {
    if (this.agenda.definitions[name]) throw new Error(`Job "${name}" is already defined`);
    validateDefinition(name, options);
    const concurrency = options.concurrency ?? this.config.concurrency;
    const { backoff } = options;
    this.agenda.define<T>(name, (job: Job<T>) => this.runOnce(name, job, handler, options), {
      concurrency,
      lockLimit: concurrency,
      lockLifetime: options.lockLifetimeMs ?? this.config.lockLifetimeMs,
      // agenda retries only with a backoff strategy; it asks with attempt = failures so far, and
      // null (maxRetries exceeded) means no retry. runOnce decides "final" by the same rule.
      backoff: backoff
        ? exponential({
            delay: backoff.delayMs,
            factor: backoff.factor ?? 2,
            maxRetries: backoff.maxRetries,
            maxDelay: backoff.maxDelayMs ?? Infinity,
            jitter: backoff.jitter ?? 0,
          })
        : undefined,
    });
  }

  /** Run as soon as a worker is free (or at runAt). With uniqueKey, at most one not-yet-started job with that name and key exists. */
  async enqueue<T extends object>(name: string, data: T, options: EnqueueOptions = {}): Promise<void> {
    this.assertDefined(name);
    if (options.runAt && Number.isNaN(options.runAt.getTime())) throw new Error(`enqueue(${name}): runAt is not a valid date`);
    await this.ready;
    const job = this.agenda.create<T>(name, data).schedule(options.runAt ?? new Date());
    if (options.uniqueKey && options.onceKey) throw new Error(`enqueue(${name}): uniqueKey and onceKey exclude each other`);
    if (options.uniqueKey) {
      // agenda's unique(): an upsert on this query that inserts only when nothing matches.
      job.unique({ pendingKey: pendingKeyOf(name, options.uniqueKey) }, { insertOnly: true });
    } else if (options.onceKey) {
      job.unique({ onceKey: pendingKeyOf(name, options.onceKey) }, { insertOnly: true });
    }
    try {
      await job.save();
    } catch (error) {
      // Another enqueue of the same key won the race for the unique index: that job stands.
      if ((options.uniqueKey || options.onceKey) && isDuplicateKeyError(error)) return;
      throw error;
    }
  }

  /**
   * A recurring job, one per name across all instances: each instance may call this at start-up.
   * The first run is due at once; later ones intervalMs after the previous one started.
   */
  async every(name: string, intervalMs: number, data: object = {}): Promise<void> {
    this.assertDefined(name);
    if (!Number.isInteger(intervalMs) || intervalMs < 1) throw new Error(`every(${name}): intervalMs must be a positive integer`);
    await this.ready;
    // Saving a recurring job again resets its lock and run history in agenda, which could let a
    // run in progress on another instance start twice; so an unchanged one is left alone.
    if (await this.jobs.hasRecurring(name, intervalMs, data)) return;
    try {
      await this.agenda.every(intervalMs, name, data);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /**
   * Whether a job of this name whose data has these values is waiting (due, scheduled, or for a
   * retry) or running, on any instance: for sweeps that repair work whose job went missing.
   */
  async isQueued(name: string, data: Record<string, unknown>): Promise<boolean> {
    await this.ready;
    return this.jobs.hasLive(name, data);
  }

  /**
   * The jobs of these names about any of these records, the latest `limit`, oldest first: a job's
   * data says what it is about in `about` (record ids), read through an index of its own. Jobs
   * are kept once done, so this tells whether each ran, when, and how often it failed.
   */
  async findAbout(names: string[], ids: string[], limit: number): Promise<JobSummary[]> {
    await this.ready;
    return this.jobs.findAbout(names, ids, limit);
  }

  /** Jobs waiting (due or scheduled), running (locked), failed for good — for monitoring. */
  async counts(): Promise<JobCounts> {
    await this.ready;
    return this.jobs.counts();
  }

  /**
   * Resolves when no job is due or running on any instance (polling the database), or rejects
   * after timeoutMs. Scheduled jobs (a later runAt, a retry waiting for its backoff) do not
   * count unless includeScheduled is set; recurring jobs never do unless they are due.
   */
  async drain(timeoutMs = 30_000, options: DrainOptions = {}): Promise<void> {
    await this.ready;
    const deadline = Date.now() + timeoutMs;
    while (await this.jobs.busy(new Date(), options.includeScheduled ?? false)) {
      if (Date.now() >= deadline) {
        const counts = await this.jobs.counts();
        throw new Error(`Jobs still busy after ${timeoutMs} ms (waiting ${counts.waiting}, running ${counts.running})`);
      }
      await sleep(DRAIN_POLL_MS);
    }
  }

  /** Processing jobs: started and not yet stopped (readiness). */
  get processing(): boolean {
    return this.started && !this.stopped;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.ready;
    if (this.stopped) return;
    await this.agenda.start();
    this.started = true;
    const names = Object.keys(this.agenda.definitions);
    this.logger.log(`Processing ${names.length} job type(s) every ${this.config.processEveryMs} ms: ${names.join(', ') || 'none'}`);
  }

  /**
   * Stops claiming jobs (agenda releases the ones claimed but not started), then gives running
   * ones JOBS_SHUTDOWN_GRACE_MS to finish while the database is still open. A run still going
   * after that keeps its lock, and another instance takes the job over when the lock expires.
   */
  async onModuleDestroy(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.started) {
      try {
        await this.agenda.stop(false);
      } catch (error) {
        this.logger.error(`Stopping the job runner failed: ${errorOf(error).message}`);
      }
    }
    const deadline = Date.now() + this.config.shutdownGraceMs;
    while (this.running.size > 0 && Date.now() < deadline) await sleep(10);
    if (this.running.size > 0) {
      this.logger.warn(
        `${this.running.size} job run(s) still in progress at shutdown (${[...this.running].join(', ')}); ` +
          'another instance takes them over when their lock expires',
      );
    }
  }

  private async runOnce<T extends object>(
    name: string,
    job: Job<T>,
    handler: (data: T, ctx: JobContext) => Promise<void>,
    options: JobDefinitionOptions<T>,
  ): Promise<void> {
    const jobId = String(job.attrs._id);
    const now = new Date();
    const attempt = await this.jobs.beginRun(jobId, now);
    // agenda's own lock check reads the in-memory lockedAt: keep it in step with the database.
    job.attrs.lockedAt = now;
    const failuresBefore = job.attrs.failCount ?? 0;
    if (attempt > failuresBefore + 1) {
      this.logger.warn(`${name} ${jobId}: attempt ${attempt} takes over after a run that never finished (its worker stopped or died)`);
    }
    const ctx: JobContext = { jobId, attempt };
    try {
      await handler(job.attrs.data, ctx);
    } catch (thrown) {
      const error = errorOf(thrown);
      const willRetry = options.backoff !== undefined && failuresBefore + 1 <= options.backoff.maxRetries;
      this.metrics.jobRuns.inc({ job: name, result: willRetry ? 'retried' : 'failed' });
      if (!willRetry) {
        this.logger.error(`${name} ${jobId} failed for good on attempt ${attempt}: ${error.message}`);
        await this.callOnFinalFailure(name, jobId, job.attrs.data, error, ctx, options);
      }
      // agenda records failReason, failedAt and failCount, and schedules the retry if any.
      throw error;
    }
    this.metrics.jobRuns.inc({ job: name, result: 'succeeded' });
    if (job.attrs.repeatInterval) await this.jobs.resetAttempts(jobId);
  }

  private async callOnFinalFailure<T extends object>(
    name: string,
    jobId: string,
    data: T,
    error: Error,
    ctx: JobContext,
    options: JobDefinitionOptions<T>,
  ): Promise<void> {
    if (!options.onFinalFailure) return;
    try {
      await options.onFinalFailure(data, error, ctx);
    } catch (hookError) {
      this.logger.error(`${name} ${jobId}: onFinalFailure threw: ${errorOf(hookError).message}`);
    }
  }

  /** After start-up every definition exists, so an unknown name is a typo that would never run. */
  private assertDefined(name: string): void {
    if (this.started && !this.agenda.definitions[name]) throw new Error(`No job named "${name}" is defined`);
  }
}

function validateDefinition(name: string, options: JobDefinitionOptions<never>): void {
  const problems: string[] = [];
  const positiveInteger = (value: number | undefined, field: string) => {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) problems.push(`${field} must be a positive integer`);
  };
  positiveInteger(options.concurrency, 'concurrency');
  positiveInteger(options.lockLifetimeMs, 'lockLifetimeMs');
  const { backoff } = options;
  if (backoff) {
    if (!Number.isInteger(backoff.maxRetries) || backoff.maxRetries < 0) problems.push('backoff.maxRetries must be an integer >= 0');
    if (!(backoff.delayMs >= 0)) problems.push('backoff.delayMs must be >= 0');
    if (backoff.factor !== undefined && !(backoff.factor >= 1)) problems.push('backoff.factor must be >= 1');
    if (backoff.maxDelayMs !== undefined && !(backoff.maxDelayMs >= 0)) problems.push('backoff.maxDelayMs must be >= 0');
    if (backoff.jitter !== undefined && !(backoff.jitter >= 0 && backoff.jitter <= 1)) problems.push('backoff.jitter must be between 0 and 1');
  }
  if (problems.length > 0) throw new Error(`Job "${name}": ${problems.join('; ')}`);
}

/** The same key in any property order gives the same string. */
function pendingKeyOf(name: string, key: Record<string, unknown>): string {
  return `${name}:${JSON.stringify(sortKeys(key))}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

function errorOf(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
