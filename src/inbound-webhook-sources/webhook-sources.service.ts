import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { jobsConfig, type JobsConfig } from '../jobs/jobs.config.js';
import { JobRunner } from '../jobs/job-runner.js';
import { WebhookSource } from '../inbound-webhook-contract/signature-verifiers.js';
import { WebhookEventRepository } from '../inbound-webhook-events/webhook-event.repository.js';
import { WebhookReplayService } from '../inbound-webhook-events/webhook-replay.service.js';
import { WEBHOOK_SOURCE_TIMING, WebhookSourceStates, WebhookSourceTiming } from './webhook-source-states.js';
import { WebhookSourceRecord, WebhookSourceRepository } from './webhook-source.repository.js';
import { WEBHOOK_SOURCE_NAMES } from './webhook-source.schema.js';

export const RELEASE_JOB = 'webhook-sources.release';
/** Held events read at a time by a release; each is still released one by one, in order. */
const RELEASE_BATCH = 50;

interface ReleaseJob {
  source: WebhookSource;
  generation: number;
}

export interface WebhookSourceView extends WebhookSourceRecord {
  /** Deliveries held and not yet released. */
  waiting: number;
}

export type PauseResult = { view: WebhookSourceView; changed: boolean };

/**
 * Pausing and resuming a webhook source. While a source is paused, its controllers answer every
 * verified, valid delivery 200 without running its handler, and the event log stores it `held`
 * (WebhookHolds). Resuming queues one job (`webhook-sources.release`, durable: it survives a
 * restart, and one instance runs it) that releases the held deliveries oldest first through the
 * replay path (WebhookReplayService.release); deliveries arriving meanwhile are held behind them
 * (`resuming`), and once none is left the source becomes active.
 */
@Injectable()
export class WebhookSourcesService implements OnModuleInit {
  private readonly logger = new Logger(WebhookSourcesService.name);

  constructor(
    private readonly repository: WebhookSourceRepository,
    private readonly states: WebhookSourceStates,
    private readonly events: WebhookEventRepository,
    private readonly replays: WebhookReplayService,
    private readonly jobs: JobRunner,
    @Inject(WEBHOOK_SOURCE_TIMING) private readonly timing: WebhookSourceTiming,
    @Inject(jobsConfig.KEY) private readonly jobsConfig: JobsConfig,
  ) {}

  onModuleInit(): void {
    // A run that throws (the database went away) is retried; its work so far stands, since each
    // held event is released on its own.
    this.jobs.define<ReleaseJob & { settle?: boolean }>(RELEASE_JOB, (data) => this.release(data), {
      backoff: { delayMs: 1000, factor: 2, maxRetries: 8, jitter: 0.2 },
      onFinalFailure: async ({ source }, error) => {
        this.logger.error(`Releasing the held ${source} deliveries failed for good (${error.message}); resume ${source} again to retry`);
      },
    });
  }

  async list(): Promise<WebhookSourceView[]> {
    const [records, held] = await Promise.all([this.repository.findAll(), this.events.countHeld()]);
    return WEBHOOK_SOURCE_NAMES.map((source) => {
      const record = records.find((candidate) => candidate.source === source) ?? { source, state: 'active' as const, generation: 0 };
      this.states.set(record);
      return view(record, held.get(source) ?? 0);
    });
  }

  async pause(source: WebhookSource, by: string): Promise<PauseResult> {
    const paused = await this.repository.pause(source, by);
    const record = paused ?? (await this.repository.find(source));
    this.states.set(record);
    if (paused) this.logger.log(`${source} paused by ${by}: its deliveries are held until it is resumed`);
    return { view: view(record, await this.waiting(source)), changed: paused !== null };
  }

  /**
   * Paused → resuming, and the release job queued for this resume. Resuming a source that is
   * resuming already queues its job again only if it went missing (failed for good); resuming an
   * active source releases what an instance may have held after the release's last look (one whose
   * copy of the state could not be refreshed for longer), and otherwise changes nothing.
   */
  async resume(source: WebhookSource): Promise<PauseResult> {
    const resumed = await this.repository.resume(source);
    const record = resumed ?? (await this.repository.find(source));
    this.states.set(record);
    if (resumed) {
      await this.jobs.enqueue(RELEASE_JOB, { source, generation: resumed.generation }, { uniqueKey: { source, generation: resumed.generation } });
      this.logger.log(`${source} resuming: its held deliveries are released in arrival order`);
      return { view: view(record, await this.waiting(source)), changed: true };
    }
    const waiting = await this.waiting(source);
    const stranded = record.state === 'active' && waiting > 0;
    if ((record.state === 'resuming' || stranded) && !(await this.jobs.isQueued(RELEASE_JOB, { source }))) {
      await this.jobs.enqueue(RELEASE_JOB, { source, generation: record.generation }, { uniqueKey: { source, generation: record.generation } });
    }
    return { view: view(record, waiting), changed: stranded };
  }

  /**
   * Releases the source's held deliveries oldest first, one at a time, while the source is still
   * resuming (or active) for this job's resume; a pause, or a later resume, stops it between two
   * deliveries. With none left it makes the source active, then looks once more `settleMs` later
   * for deliveries that instances still holding on their cached state stored meanwhile (see
   * WebhookSourceStates), and goes on looking as long as it finds some.
   *
   * One job runs per resume (the runner's claim). A run stops after a third of the job lock's
   * lifetime and queues its continuation, so a long backlog never outlives the lock (another
   * instance would take the job over and release beside it). A pause and a new resume within the run of one
   * delivery could let the new job start that same delivery while the old one finishes it: the
   * handlers' idempotency makes the second run a `duplicate`, and the mark is conditional.
   */
  private async release({ source, generation }: ReleaseJob): Promise<void> {
    let released = 0;
    const deadline = Date.now() + this.jobsConfig.lockLifetimeMs / 3;
    for (;;) {
      const ids = await this.events.heldIds(source, RELEASE_BATCH);
      for (const id of ids) {
        const state = await this.repository.find(source);
        if (state.generation !== generation || state.state === 'paused') return;
        if (Date.now() > deadline) {
          // This run has started, so the same key may be queued again: the next part.
          await this.jobs.enqueue(RELEASE_JOB, { source, generation }, { uniqueKey: { source, generation } });
          return;
        }
        if (await this.replays.release(id)) released++;
      }
      if (ids.length < RELEASE_BATCH) break;
    }
    const state = await this.repository.find(source);
    if (state.generation !== generation || state.state === 'paused') return;
    let activated = false;
    if (state.state === 'resuming') {
      // A delivery held after the last read above is found by the look `settleMs` later.
      activated = await this.repository.activate(source, generation);
      if (activated) {
        this.states.set({ source, state: 'active' });
        this.logger.log(`${source} active again: its held deliveries were released`);
      }
    }
    if (activated || released > 0) {
      await this.jobs.enqueue(
        RELEASE_JOB,
        { source, generation, settle: true },
        { runAt: new Date(Date.now() + this.timing.settleMs), uniqueKey: { source, generation, settle: true } },
      );
    }
  }

  private async waiting(source: WebhookSource): Promise<number> {
    return (await this.events.countHeld()).get(source) ?? 0;
  }
}

function view(record: WebhookSourceRecord, waiting: number): WebhookSourceView {
  return { ...record, waiting };
}
