import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { JobRunner } from '../jobs/job-runner.js';
import { Clock } from '../common/clock.js';
import { DELIVER_JOB, DeliverJobData } from './outbound-events.js';
import { OutboundUrlGuard, OutboundUrlRefused } from '../outbound-url/outbound-url.js';
import { WebhookAttemptRecord, OutboundMessageRepository } from './outbound-message.repository.js';
import { EndpointChanges, WebhookEndpointRecord, WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { OutboundEventType } from './webhook-endpoint.schema.js';
import { AttemptStatus } from './webhook-message.schema.js';

/** Most failed messages one recover request sends again (ask again with a later `since` for more). */
export const RECOVER_LIMIT = 1000;

/** How long the old secret goes on signing beside the new one after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

/** A new `whsec_` secret: 32 random bytes, base64 (Standard Webhooks' format). */
export function newEndpointSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** A workspace's endpoints: register, change, rotate secrets. Secrets leave only in the create and rotate answers. */
@Injectable()
export class WebhookEndpointsService {
  private readonly logger = new Logger(WebhookEndpointsService.name);

  constructor(
    private readonly endpoints: WebhookEndpointRepository,
    private readonly deliveries: OutboundMessageRepository,
    private readonly urls: OutboundUrlGuard,
    private readonly jobs: JobRunner,
    private readonly clock: Clock,
  ) {}

  async create(
    workspaceId: string,
    input: { url: string; eventTypes: OutboundEventType[]; description?: string },
  ): Promise<{ endpoint: WebhookEndpointRecord; secret: string }> {
    await this.checkUrl(input.url);
    const secret = newEndpointSecret();
    const endpoint = await this.endpoints.create(workspaceId, { ...input, secret }, this.clock.now());
    this.logger.log(`Webhook endpoint ${endpoint.id} registered for workspace ${workspaceId} (${input.eventTypes.join(', ')})`);
    return { endpoint, secret };
  }

  list(workspaceId: string, skip: number, limit: number) {
    return this.endpoints.listInWorkspace(workspaceId, skip, limit);
  }

  async get(workspaceId: string, id: string): Promise<WebhookEndpointRecord> {
    return found(await this.endpoints.findInWorkspace(workspaceId, id));
  }

  async update(workspaceId: string, id: string, changes: EndpointChanges): Promise<WebhookEndpointRecord> {
    if (changes.url !== undefined) {
      found(await this.endpoints.findInWorkspace(workspaceId, id));
      await this.checkUrl(changes.url);
    }
    return found(await this.endpoints.update(workspaceId, id, changes, this.clock.now()));
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    if (!(await this.endpoints.delete(workspaceId, id))) throw new NotFoundException('Webhook endpoint not found');
    // Jobs still queued for it find no endpoint and stop.
    await this.deliveries.deleteForEndpoint(workspaceId, id);
    this.logger.log(`Webhook endpoint ${id} of workspace ${workspaceId} deleted`);
  }

  /** A new secret, shown once; the ones signing now go on signing for ROTATION_OVERLAP_MS. */
  async rotateSecret(workspaceId: string, id: string): Promise<{ endpoint: WebhookEndpointRecord; secret: string }> {
    const now = this.clock.now();
    const secret = newEndpointSecret();
    const endpoint = found(await this.endpoints.rotateSecret(workspaceId, id, secret, new Date(now.getTime() + ROTATION_OVERLAP_MS), now));
    this.logger.log(`Webhook endpoint ${id} of workspace ${workspaceId}: secret rotated`);
    return { endpoint, secret };
  }

  /** The endpoint's delivery log, newest first. */
  async listAttempts(
    workspaceId: string,
    id: string,
    filter: { status?: AttemptStatus },
    skip: number,
    limit: number,
  ): Promise<{ attempts: WebhookAttemptRecord[]; total: number }> {
    await this.get(workspaceId, id);
    return this.deliveries.listAttempts(workspaceId, id, filter, skip, limit);
  }

  /**
   * Superadmins' view of every workspace's endpoints, failing ones first: each with its pending
   * messages, when the next of them is attempted, and its latest attempts.
   */
  async overview(skip: number, limit: number, attemptsEach: number) {
    const { endpoints, total } = await this.endpoints.listAllFailingFirst(skip, limit);
    const ids = endpoints.map((endpoint) => endpoint.id);
    const [pending, attempts] = await Promise.all([
      this.deliveries.pendingByEndpoint(ids),
      Promise.all(ids.map((id) => this.deliveries.latestAttempts(id, attemptsEach))),
    ]);
    return {
      endpoints: endpoints.map((endpoint, i) => ({ endpoint, pending: pending.get(endpoint.id) ?? { pending: 0 }, attempts: attempts[i] })),
      total,
    };
  }

  /** Sends one message again, once, whatever became of it (same webhook-id: the receiver deduplicates). */
  async redeliver(workspaceId: string, id: string, messageId: string): Promise<void> {
    await this.enabled(workspaceId, id);
    const message = await this.deliveries.findMessage(workspaceId, id, messageId);
    if (!message) throw new NotFoundException('Message not found');
    await this.enqueueManual(workspaceId, id, messageId);
  }

  /** Sends again, once each, every message that failed for good since `since`; answers their ids. */
  async recover(workspaceId: string, id: string, since: Date): Promise<string[]> {
    if (since.getTime() > this.clock.now().getTime()) throw new BadRequestException('since must not be in the future');
    await this.enabled(workspaceId, id);
    const failed = await this.deliveries.findFailedSince(workspaceId, id, since, RECOVER_LIMIT);
    for (const message of failed) await this.enqueueManual(workspaceId, id, message.messageId);
    this.logger.log(`Webhook endpoint ${id} of workspace ${workspaceId}: ${failed.length} failed message(s) since ${since.toISOString()} sent again`);
    return failed.map((message) => message.messageId);
  }

  private async enabled(workspaceId: string, id: string): Promise<WebhookEndpointRecord> {
    const endpoint = await this.get(workspaceId, id);
    if (!endpoint.enabled) throw new ConflictException('The endpoint is disabled: enable it first');
    return endpoint;
  }

  private async enqueueManual(workspaceId: string, endpointId: string, messageId: string): Promise<void> {
    await this.jobs.enqueue<DeliverJobData>(
      DELIVER_JOB,
      { workspaceId, endpointId, messageId, manual: true },
      { uniqueKey: { endpointId, messageId, manual: true } },
    );
  }

  private async checkUrl(url: string): Promise<void> {
    try {
      await this.urls.check(url);
    } catch (error) {
      if (error instanceof OutboundUrlRefused) throw new BadRequestException(error.message);
      throw error;
    }
  }
}

function found<T>(value: T | null): T {
  if (!value) throw new NotFoundException('Webhook endpoint not found');
  return value;
}
