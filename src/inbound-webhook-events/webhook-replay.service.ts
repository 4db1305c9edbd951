import { BadRequestException, ConflictException, HttpStatus, Inject, Injectable, Logger, NotFoundException, OnModuleInit } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { errorMessage } from '../common/error-message.js';
import { webhookEventsConfig, type WebhookEventsConfig } from './webhook-events.config.js';
import { JobRunner } from '../jobs/job-runner.js';
import { WebhookHandled } from '../inbound-webhook-contract/webhook-handled.js';
import { errorFacts, eventRecord } from './delivery-facts.js';
import { InboundDeliveryRepository } from './inbound-delivery.repository.js';
import { WebhookEventRecorder } from './webhook-event.recorder.js';
import { WebhookEventFilter, WebhookEventRecord, WebhookEventRepository } from './webhook-event.repository.js';
import { WebhookReplayRegistry } from './webhook-replay.registry.js';

export const REPLAY_JOB = 'webhook-events.replay';
/** The answer of a replayed duplicate whose first delivery is no longer remembered. */
export const REPEAT_NOT_APPLIED = 'Not applied: this delivery repeated one handled before';
/** A held delivery is run by its source's resume, never by a replay of its own (it would run twice). */
export const HELD_NOT_REPLAYED = 'This delivery is held while its source is paused; resume the source to apply it';
/** Events per replay job: a job's run stays short, and a failed run redoes little. */
const EVENTS_PER_JOB = 100;

/**
 * Replays stored deliveries, decided as the same delivery arriving live now would be: a delivery
 * recorded as `duplicate` or `conflict` (its id handled before, with another body), or whose id
 * has been handled since (by it, or by a retry of the sender's), is answered as that first one
 * was and applies nothing (a conflict's replay is recorded as a conflict); anything else runs through
 * its endpoint's handler (registered in WebhookReplayRegistry), so the handler's idempotency
 * applies, and with the time the delivery arrived, so a callback older than the video's current
 * attempt does not touch it. Each replay is recorded as a new event with `replayOf`, saying what
 * it did. A delivery whose signature failed is never replayed (its payload was never proven to
 * come from the sender), nor one whose body was not a JSON object.
 */
@Injectable()
export class WebhookReplayService implements OnModuleInit {
  private readonly logger = new Logger(WebhookReplayService.name);

  constructor(
    private readonly events: WebhookEventRepository,
    private readonly registry: WebhookReplayRegistry,
    private readonly recorder: WebhookEventRecorder,
    private readonly deliveries: InboundDeliveryRepository,
    private readonly jobs: JobRunner,
    @Inject(webhookEventsConfig.KEY) private readonly config: WebhookEventsConfig,
  ) {}

  onModuleInit(): void {
    // Each event is replayed (and recorded) on its own: a failing one does not fail the job, so
    // a job is not retried and nothing is replayed twice by the runner.
    this.jobs.define<{ eventIds: string[] }>(REPLAY_JOB, async ({ eventIds }) => {
      for (const id of eventIds) {
        try {
          await this.replay(id);
        } catch (error) {
          this.logger.warn(`Bulk replay of event ${id} skipped: ${errorMessage(error)}`);
        }
      }
    });
  }

  async replay(eventId: string, options: { releasing?: boolean } = {}): Promise<{ event: WebhookEventRecord; response: unknown }> {
    const original = await this.events.findById(eventId);
    if (!original) throw new NotFoundException('Webhook event not found');
    if (original.status === 'held' && !options.releasing) throw new ConflictException(HELD_NOT_REPLAYED);
    if (original.signatureValid === false) throw new ConflictException('A delivery whose signature did not verify cannot be replayed');
    if (typeof original.payload !== 'object' || original.payload === null || Array.isArray(original.payload)) {
      throw new ConflictException('Only a delivery whose body was a JSON object can be replayed');
    }
    const handler = this.registry.handlerFor(original.endpoint);
    if (!handler) throw new ConflictException(`No replay handler is registered for ${original.endpoint}`);

    const started = performance.now();
    let result: WebhookHandled | undefined;
    let failure: { httpStatus: number; message: string } | undefined;
    try {
      result = (await this.repeatOf(original)) ?? (await handler(structuredClone(original.payload), { receivedAt: original.createdAt }));
    } catch (error) {
      failure = errorFacts(error);
      if (failure.httpStatus >= 500) this.logger.error({ err: error }, `Replay of event ${eventId} failed: ${failure.message}`);
    }
    const durationMs = performance.now() - started;
    // A reused id stays a conflict when replayed: still answered as the first, still the sender's bug.
    const status = result?.outcome === 'duplicate' && original.status === 'conflict' ? ('conflict' as const) : undefined;
    const response = failure ? { success: false, message: failure.httpStatus >= 500 ? 'Internal server error' : failure.message } : result!.response;
    // The same adapter as a live delivery's: the handler's result becomes the event.
    const event = eventRecord(
      {
        endpoint: original.endpoint,
        method: original.method,
        payload: original.payload,
        source: original.source,
        eventType: original.eventType,
        deliveryId: original.deliveryId,
        videoId: original.videoId,
        callbackId: original.callbackId,
        replayOf: original.id,
        handled: {
          outcome: result?.outcome ?? 'accepted',
          videoId: result?.videoId,
          recordId: result?.recordId ?? original.recordId,
          workspaceId: result?.workspaceId ?? original.workspaceId,
        },
      },
      failure
        ? { httpStatus: failure.httpStatus, durationMs, error: failure.message, response }
        : { httpStatus: result!.httpStatus ?? HttpStatus.OK, durationMs, status, response },
    );
    await this.recorder.recordNow(event);
    return { event, response };
  }

  /**
   * A replayed delivery that a live one would find handled before: recorded as a duplicate or a
   * conflict (its body may concern another record than the delivery that used its id first), or
   * with an id remembered as handled. Answered as that first delivery was, without running the
   * handler, even once the id is no longer remembered.
   */
  private async repeatOf(original: WebhookEventRecord): Promise<WebhookHandled | null> {
    const found = original.deliveryId ? await this.deliveries.findHandled(original.source, original.deliveryId) : null;
    // The memory of this very delivery held: it was never handled, and its release runs it now.
    const handled = found?.held && found.eventId === original.id ? null : found;
    if (handled) return { httpStatus: handled.httpStatus, response: handled.response, outcome: 'duplicate', workspaceId: handled.workspaceId };
    if (original.status !== 'duplicate' && original.status !== 'conflict') return null;
    return { httpStatus: original.httpStatus, response: { success: true, message: REPEAT_NOT_APPLIED }, outcome: 'duplicate' };
  }

  /**
   * Why a replay of each event could change nothing (undefined where it could), as an operator
   * reads it: its body was never proven or not JSON, it was applied already, it repeated a
   * delivery handled before, a replay of it was applied, or its delivery id has been handled
   * since (a retry of the sender's).
   * A replay is still allowed: it is decided as the delivery arriving now would be, and changes
   * nothing in these cases. One query for the replays and one lookup of delivery ids for all the
   * events.
   */
  async whyNotReplayable(events: WebhookEventRecord[]): Promise<Array<string | undefined>> {
    const fixed = events.map((event) => this.fixedReason(event));
    const open = events.filter((_, i) => fixed[i] === undefined);
    const applied = await this.events.withAppliedReplay(open.map((event) => event.id));
    return Promise.all(
      events.map(async (event, i) => {
        if (fixed[i] !== undefined) return fixed[i];
        if (applied.has(event.id)) return 'A replay of it was applied already: another would change nothing';
        const handled = event.deliveryId ? await this.deliveries.findHandled(event.source, event.deliveryId) : null;
        return handled ? 'Its delivery id is remembered as handled (by a retry of the sender\'s, or by it before the store failed): a replay would be answered as that one was' : undefined;
      }),
    );
  }

  private fixedReason(event: WebhookEventRecord): string | undefined {
    if (event.signatureValid === false) return 'Its signature did not verify: its body was never proven to come from the sender';
    if (typeof event.payload !== 'object' || event.payload === null || Array.isArray(event.payload)) return 'Its body was not a JSON object';
    if (!this.registry.handlerFor(event.endpoint)) return `No handler replays deliveries to ${event.endpoint}`;
    switch (event.status) {
      case 'accepted':
        return 'It was applied already: a replay would change nothing';
      case 'duplicate':
        return 'It repeated a delivery handled before: a replay is answered as that one was';
      case 'conflict':
        return 'It reused a handled delivery id with another body: a replay is answered as the first and applies nothing';
      case 'held':
        return 'It is held while its source is paused: resuming the source applies it, in arrival order';
      case 'released':
        return 'It was held, then released when its source was resumed: its release is the replay that ran it';
      default:
        return undefined;
    }
  }

  /**
   * Runs a held delivery (its source was resumed) through the replay path, records the run as a
   * replay (`replayOf`), settles its delivery id's memory (the answer it got replaces the held
   * one) and marks it `released`. Safe to run again after a crash at any step: an event already
   * released is left alone; a run recorded before the crash is not run again; and a run whose
   * record was lost runs once more, which the handlers' idempotency (by delivery and by the
   * record's version) makes a `duplicate` that changes nothing. Answers the replay's event, or
   * null when the event was not held.
   */
  async release(eventId: string): Promise<WebhookEventRecord | null> {
    const held = await this.events.findById(eventId);
    if (!held || held.status !== 'held') return null;
    const recorded = await this.events.findLatestReplay(eventId);
    const run = recorded ? { event: recorded, response: recorded.responseBody } : await this.replay(eventId, { releasing: true });
    if (held.deliveryId) {
      const { event, response } = run;
      const answered = event.httpStatus < 300 ? { httpStatus: event.httpStatus, response, eventId: event.id, workspaceId: event.workspaceId } : null;
      await this.deliveries.settleHeld(held.source, held.deliveryId, held.id, answered);
    }
    await this.events.markReleased(eventId);
    return run.event;
  }

  /** How many events a bulk replay of the filter would queue. */
  countMatching(filter: WebhookEventFilter): Promise<number> {
    return this.events.countReplayable(filter);
  }

  /** Queues every replayable event matching the filter, oldest first, in jobs of EVENTS_PER_JOB. */
  async replayMatching(filter: WebhookEventFilter): Promise<number> {
    const max = this.config.replayMaxEvents;
    const ids = await this.events.replayableIds(filter, max);
    if (ids.length > max) {
      throw new BadRequestException(`More than ${max} events match; narrow the filters (from / to) and replay in parts`);
    }
    for (let i = 0; i < ids.length; i += EVENTS_PER_JOB) {
      await this.jobs.enqueue(REPLAY_JOB, { eventIds: ids.slice(i, i + EVENTS_PER_JOB) });
    }
    if (ids.length > 0) this.logger.log(`Queued ${ids.length} webhook event(s) for replay`);
    return ids.length;
  }
}
