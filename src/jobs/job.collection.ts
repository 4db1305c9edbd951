import type { Collection } from 'mongodb';
import { mongo } from 'mongoose';

/** agenda's default collection name, kept so agenda's own tools (agendash) find the jobs. */
export const JOBS_COLLECTION = 'agendaJobs';

/** The fields of agenda's job document that we read, plus the two we add. */
export interface StoredJob {
  _id: mongo.ObjectId;
  name: string;
  type: 'normal' | 'single';
  data: unknown;
  nextRunAt: Date | null;
  lockedAt: Date | null;
  failCount?: number | null;
  repeatInterval?: string | number | null;
  disabled?: boolean | null;
  /** Ours: runs since the job was created or last succeeded, counted when each run starts. */
  attempt?: number;
  /** Ours: the dedupe key of a job that has not started yet (see JobRunner.enqueue). */
  pendingKey?: string;
  /** Ours: the key of a job enqueued once for good (see JobRunner.enqueue's onceKey); never released. */
  onceKey?: string;
  lastRunAt?: Date | null;
  lastFinishedAt?: Date | null;
  failedAt?: Date | null;
  failReason?: string | null;
}

/** A job as the timeline reads it (see JobRunner.findAbout). */
export interface JobSummary {
  id: string;
  name: string;
  data: unknown;
  nextRunAt: Date | null;
  lockedAt: Date | null;
  lastRunAt?: Date;
  lastFinishedAt?: Date;
  failCount: number;
  failReason?: string;
  /** Runs started so far. */
  attempts: number;
}

/** The jobs of these names about these records (JobCollection.findAbout); exported for the index-use test. */
export function jobsAboutQuery(names: string[], ids: string[]) {
  return { 'data.about': { $in: ids }, name: { $in: names } };
}

/**
 * The queries on agenda's collection that agenda itself does not offer: run counting, the
 * unique-pending guarantee, and the state counts that monitoring and tests poll. agenda only
 * `$set`s the fields it knows, so the two fields we add survive its writes.
 */
export class JobCollection {
  constructor(private readonly collection: Collection<StoredJob>) {}

  /**
   * Unique indexes make the two "at most one" promises hold on a real MongoDB too, where two
   * concurrent upserts with no unique index behind them can both insert.
   */
  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex(
      { pendingKey: 1 },
      { name: 'pendingKey_unique', unique: true, partialFilterExpression: { pendingKey: { $exists: true } } },
    );
    await this.collection.createIndex(
      { onceKey: 1 },
      { name: 'onceKey_unique', unique: true, partialFilterExpression: { onceKey: { $exists: true } } },
    );
    await this.collection.createIndex(
      { name: 1 },
      { name: 'recurring_name_unique', unique: true, partialFilterExpression: { type: { $eq: 'single' } } },
    );
    // The jobs about a record (JobRunner.findAbout): only jobs whose data names one are indexed.
    await this.collection.createIndex({ 'data.about': 1 }, { name: 'about', partialFilterExpression: { 'data.about': { $exists: true } } });
  }

  /** Jobs of these names whose `data.about` names one of `ids`, the latest `limit`, oldest first. */
  async findAbout(names: string[], ids: string[], limit: number): Promise<JobSummary[]> {
    if (ids.length === 0) return [];
    const jobs = await this.collection
      .find(jobsAboutQuery(names, ids))
      .sort({ _id: -1 })
      .limit(limit)
      .toArray();
    return jobs.reverse().map((job) => ({
      id: job._id.toHexString(),
      name: job.name,
      data: job.data,
      nextRunAt: job.nextRunAt ?? null,
      lockedAt: job.lockedAt ?? null,
      ...(job.lastRunAt && { lastRunAt: job.lastRunAt }),
      ...(job.lastFinishedAt && { lastFinishedAt: job.lastFinishedAt }),
      failCount: job.failCount ?? 0,
      ...(job.failReason && { failReason: job.failReason }),
      attempts: job.attempt ?? 0,
    }));
  }

  /**
   * Called when a run starts: numbers it, releases its dedupe key (a job that has started is no
   * longer pending, so the same key may be enqueued again) and restarts the lock from now.
   */
  async beginRun(jobId: string, now: Date): Promise<number> {
    const job = await this.collection.findOneAndUpdate(
      { _id: new mongo.ObjectId(jobId) },
      { $inc: { attempt: 1 }, $unset: { pendingKey: '' }, $set: { lockedAt: now } },
      { returnDocument: 'after', projection: { attempt: 1 } },
    );
    if (!job) throw new Error(`job ${jobId} no longer exists`);
    return job.attempt ?? 1;
  }

  /** A recurring job starts counting attempts afresh after a run that succeeded (as agenda's failCount does). */
  async resetAttempts(jobId: string): Promise<void> {
    await this.collection.updateOne({ _id: new mongo.ObjectId(jobId) }, { $set: { attempt: 0 } });
  }

  /** Whether a job of this name whose data has these values waits (due, scheduled, or for a retry) or runs. */
  async hasLive(name: string, data: Record<string, unknown>): Promise<boolean> {
    const fields = Object.fromEntries(Object.entries(data).map(([key, value]) => [`data.${key}`, value]));
    const job = await this.collection.findOne(
      { name, ...fields, $or: [{ nextRunAt: { $ne: null } }, { lockedAt: { $ne: null } }] },
      { projection: { _id: 1 } },
    );
    return job !== null;
  }

  async hasRecurring(name: string, intervalMs: number, data: object): Promise<boolean> {
    const job = await this.collection.findOne({ name, type: 'single' }, { projection: { repeatInterval: 1, data: 1 } });
    return job !== null && Number(job.repeatInterval) === intervalMs && JSON.stringify(job.data ?? {}) === JSON.stringify(data);
  }

  async counts(): Promise<{ waiting: number; running: number; failed: number }> {
    const [waiting, running, failed] = await Promise.all([
      // A recurring job (a sweep) is always scheduled; it is not work waiting in the queue.
      this.collection.countDocuments({ nextRunAt: { $ne: null }, lockedAt: null, disabled: { $ne: true }, repeatInterval: null }),
      this.collection.countDocuments({ lockedAt: { $ne: null } }),
      // agenda keeps failedAt and failReason after a later success but resets failCount, and a
      // job that will be retried still has a nextRunAt: neither counts as failed for good.
      this.collection.countDocuments({ nextRunAt: null, lockedAt: null, failCount: { $gt: 0 } }),
    ]);
    return { waiting, running, failed };
  }

  /** Whether any job is running or due (or, with includeScheduled, any one-off job still to run). */
  async busy(now: Date, includeScheduled: boolean): Promise<boolean> {
    const idle = { lockedAt: null, disabled: { $ne: true } };
    const clauses: object[] = [{ lockedAt: { $ne: null } }, { ...idle, nextRunAt: { $lte: now } }];
    if (includeScheduled) clauses.push({ ...idle, nextRunAt: { $ne: null }, repeatInterval: null });
    return (await this.collection.findOne({ $or: clauses }, { projection: { _id: 1 } })) !== null;
  }
}
