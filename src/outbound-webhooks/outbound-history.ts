import { Injectable } from '@nestjs/common';
import { WebhookAttemptRecord, OutboundMessageRepository, WebhookMessageRecord } from './outbound-message.repository.js';
import { WebhookEndpointRepository } from './webhook-endpoint.repository.js';

export type OutboundMessageSummary = Omit<WebhookMessageRecord, 'payload'> & { subjectId?: string; endpointUrl?: string };
export type OutboundAttemptSummary = WebhookAttemptRecord & { endpointUrl?: string };

/**
 * What was sent to a workspace's endpoints about some records (a video and its batch, a reel):
 * each message and each attempt at it, with the endpoint's URL (absent once the endpoint is
 * deleted). Read for the timeline; every read is scoped to the workspace.
 */
@Injectable()
export class OutboundHistory {
  constructor(
    private readonly deliveries: OutboundMessageRepository,
    private readonly endpoints: WebhookEndpointRepository,
  ) {}

  async about(
    workspaceId: string,
    subjectIds: string[],
    limits: { messages: number; attempts: number },
  ): Promise<{ messages: OutboundMessageSummary[]; attempts: OutboundAttemptSummary[]; truncated: boolean }> {
    const messages = await this.deliveries.findMessagesAbout(workspaceId, subjectIds, limits.messages);
    const attempts = await this.deliveries.findAttemptsAt(workspaceId, [...new Set(messages.map((message) => message.messageId))], limits.attempts);
    const urls = await this.endpoints.urlsInWorkspace(workspaceId, [...new Set(messages.map((message) => message.endpointId))]);
    return {
      messages: messages.map((message) => ({ ...message, endpointUrl: urls.get(message.endpointId) })),
      // Attempts at messages of other endpoints sharing a message id are not this endpoint's: kept by (endpoint, message).
      attempts: attempts
        .filter((attempt) => messages.some((message) => message.messageId === attempt.messageId && message.endpointId === attempt.endpointId))
        .map((attempt) => ({ ...attempt, endpointUrl: urls.get(attempt.endpointId) })),
      truncated: messages.length >= limits.messages || attempts.length >= limits.attempts,
    };
  }
}
