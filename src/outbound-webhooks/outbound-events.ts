import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { JobRunner } from '../jobs/job-runner.js';
import { Clock } from '../common/clock.js';
import { OutboundMessageRepository } from './outbound-message.repository.js';
import { WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { OutboundEventType } from './webhook-endpoint.schema.js';

export const DELIVER_JOB = 'webhook-endpoints.deliver';
export const SWEEP_JOB = 'webhook-endpoints.sweep';

/** One message to one endpoint; `manual` for a redelivery a person asked for (no retries). */
export interface DeliverJobData {
  workspaceId: string;
  endpointId: string;
  messageId: string;
  /**
   * The scheduled attempt this run makes (its unique key's). A run of a job whose attempt the
   * message has already recorded (the job taken over after its worker was lost) sends nothing:
   * the next attempt is queued already. Absent in manual re-sends and in jobs queued before it
   * was recorded in the data.
   */
  attempt?: number;
  manual?: boolean;
}

/**
 * What other modules call to tell customers something happened: stores one message per enabled
 * endpoint of the workspace that takes the event, and hands each to the job runner. The body is
 * Standard Webhooks' `{ type, timestamp, data }`, fixed at publish time and sent byte for byte on
 * every attempt; its `msg_…` id is shared by the endpoints and stays the same on retries.
 */
@Injectable()
export class OutboundEvents {
  private readonly logger = new Logger(OutboundEvents.name);

  constructor(
    private readonly endpoints: WebhookEndpointRepository,
    private readonly deliveries: OutboundMessageRepository,
    private readonly jobs: JobRunner,
    private readonly clock: Clock,
  ) {}

  /**
   * Answers the message id, or undefined when no endpoint takes the event. With `messageId` (an
   * id derived from what the message is about, see `messageIdFor`), publishing again is a no-op:
   * an endpoint that has the message already keeps it, as first published, and gets no new job.
   */
  async publish(workspaceId: string, eventType: OutboundEventType, data: Record<string, unknown>, options: { messageId?: string } = {}): Promise<string | undefined> {
    const subscribed = await this.endpoints.findSubscribed(workspaceId, eventType);
    if (subscribed.length === 0) return undefined;
    const now = this.clock.now();
    const messageId = options.messageId ?? `msg_${randomBytes(16).toString('hex')}`;
    const payload = JSON.stringify({ type: eventType, timestamp: now.toISOString(), data });
    const created = await this.deliveries.createMessages(
      workspaceId,
      subscribed.map((endpoint) => ({ endpointId: endpoint.id, messageId, eventType, payload, ...subjectOf(eventType, data) })),
      now,
    );
    // A crash between the insert and these enqueues leaves a message pending with no job: the
    // sweep (OutboundDeliveryService.sweep) queues it, under this same unique key.
    for (const endpoint of subscribed.filter((candidate) => created.has(candidate.id))) {
      await this.jobs.enqueue<DeliverJobData>(
        DELIVER_JOB,
        { workspaceId, endpointId: endpoint.id, messageId, attempt: 1 },
        { uniqueKey: { endpointId: endpoint.id, messageId, attempt: 1 } },
      );
    }
    if (created.size > 0) this.logger.log(`${eventType} ${messageId} queued for ${created.size} endpoint(s) of workspace ${workspaceId}`);
    return messageId;
  }
}

/** What an event is about, by its type: the video, reel or batch its data names (camelCase ids, see the README's table). */
export function subjectOf(eventType: OutboundEventType, data: Record<string, unknown>): { subjectId?: string } {
  const field = eventType.startsWith('video.') ? 'videoId' : eventType.startsWith('reel.') ? 'reelId' : eventType.startsWith('batch.') ? 'batchId' : undefined;
  const value = field ? data[field] : undefined;
  return typeof value === 'string' ? { subjectId: value } : {};
}

/**
 * The message id of an event about one state of one record: the same for every publication of
 * that state (a retried or repaired effect), different for any other state or event type.
 */
export function messageIdFor(recordId: string, version: number, eventType: OutboundEventType): string {
  return `msg_${createHash('sha256').update(`${recordId}:${version}:${eventType}`).digest('hex').slice(0, 32)}`;
}
