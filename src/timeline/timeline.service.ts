import { Injectable, NotFoundException } from '@nestjs/common';
import { NoticeRecord, NotificationsService } from '../notifications/notifications.service.js';
import { ReelRepository } from '../reels/reel.repository.js';
import { AIVideoRepository } from '../videos/ai-video.repository.js';
import { OutboundHistory } from '../outbound-webhooks/outbound-history.js';
import { WebhookEventRecord, WebhookEventRepository } from '../inbound-webhook-events/webhook-event.repository.js';
import { TimelineDto, TimelineEntryDto, TimelineKind } from './timeline.dto.js';

/** How much of each source a timeline reads (the latest). */
const LIMITS = { deliveries: 200, messages: 100, attempts: 500, notices: 100 };

/** Within the same millisecond, what causes comes before what it causes. */
const KIND_ORDER: Record<TimelineKind, number> = { delivery: 0, dispatch: 1, state: 2, message: 3, attempt: 4, email: 5, chat: 5 };

type Delivery = Omit<WebhookEventRecord, 'payload' | 'headers' | 'responseBody'>;

/**
 * One video's or reel's story in time order, from every place it is kept: the deliveries about it
 * (the event log), its state changes with their versions and its calls to RCK or HeyGen (the
 * record itself), the messages to the workspace's endpoints and each attempt at them, and the
 * e-mail and chat notices (their jobs). Every read after the record is scoped to its workspace.
 */
@Injectable()
export class TimelineService {
  constructor(
    private readonly videos: AIVideoRepository,
    private readonly reels: ReelRepository,
    private readonly events: WebhookEventRepository,
    private readonly outbound: OutboundHistory,
    private readonly notifications: NotificationsService,
  ) {}

  async ofVideo(id: string): Promise<TimelineDto> {
    const video = await this.videos.findById(id);
    if (!video) throw new NotFoundException('Video not found');
    const { batchId } = video.metadata;
    const subjects = [video.id, batchId];
    const [deliveries, outbound, notices] = await Promise.all([
      this.events.findAbout(video.workspaceId, [video.id], LIMITS.deliveries),
      this.outbound.about(video.workspaceId, subjects, LIMITS),
      this.notifications.noticesAbout(subjects, LIMITS.notices),
    ]);
    const history = video.metadata.history?.length
      ? video.metadata.history
      : // Kept since the timeline exists: an older video shows its creation and its state now.
        [
          { version: 0, status: 'generating' as const, at: video.createdAt },
          ...(video.metadata.version > 0 ? [{ version: video.metadata.version, status: video.status, at: video.updatedAt, reason: 'State now (its earlier changes were not kept)' }] : []),
        ];
    const entries: TimelineEntryDto[] = [
      ...deliveries.map(deliveryEntry),
      ...history.map((change) => ({
        at: change.at,
        kind: 'state' as const,
        summary: `Video ${change.version === 0 ? 'created' : 'became'} ${change.status} (version ${change.version})${change.reason ? `: ${change.reason}` : ''}`,
        outcome: change.status,
        version: change.version,
        ...(change.reason && { reason: change.reason }),
        ...(change.by && { by: change.by }),
      })),
      ...(video.metadata.dispatches ?? []).map((call) => ({
        at: call.at,
        kind: 'dispatch' as const,
        summary: call.ok ? `Sent to RCK: taken${call.externalJobId ? ` as job ${call.externalJobId}` : ''}` : `Sent to RCK: refused (${call.error ?? 'no reason'})`,
        outcome: call.ok ? 'succeeded' : 'failed',
        target: 'rck',
        ...(call.externalJobId && { externalId: call.externalJobId }),
        ...(call.error && { error: call.error }),
      })),
      ...outboundEntries(outbound, batchId),
      ...notices.map((notice) => noticeEntry(notice, notice.about.includes(batchId) && !notice.about.includes(video.id))),
    ];
    return {
      subject: {
        kind: 'video',
        id: video.id,
        workspaceId: video.workspaceId,
        status: video.status,
        version: video.metadata.version,
        title: video.metadata.templateName ?? video.template,
        createdAt: video.createdAt,
        productId: video.productId,
        batchId,
        ...(video.metadata.externalJobId && { externalId: video.metadata.externalJobId }),
        ...(video.error && { error: video.error }),
      },
      entries: inOrder(entries),
      truncated: deliveries.length >= LIMITS.deliveries || outbound.truncated || notices.length >= LIMITS.notices,
    };
  }

  async ofReel(id: string): Promise<TimelineDto> {
    const reel = await this.reels.findById(id);
    if (!reel) throw new NotFoundException('Reel not found');
    const [deliveries, outbound, notices] = await Promise.all([
      this.events.findAbout(reel.workspaceId, [reel.id, ...(reel.heygenVideoId ? [reel.heygenVideoId] : [])], LIMITS.deliveries),
      this.outbound.about(reel.workspaceId, [reel.id], LIMITS),
      this.notifications.noticesAbout([reel.id], LIMITS.notices),
    ]);
    const history = reel.history.length
      ? reel.history
      : [
          { version: 0, status: 'requested' as const, at: reel.createdAt },
          ...(reel.status !== 'requested' ? [{ version: reel.version, status: reel.status, at: reel.updatedAt, reason: 'State now (its earlier changes were not kept)' }] : []),
        ];
    const entries: TimelineEntryDto[] = [
      ...deliveries.map(deliveryEntry),
      ...history.map((change) => ({
        at: change.at,
        kind: 'state' as const,
        summary: `Reel ${change.version === 0 ? 'requested' : `became ${change.status}`} (version ${change.version})${change.reason ? `: ${change.reason}` : ''}`,
        outcome: change.status,
        version: change.version,
        ...(change.reason && { reason: change.reason }),
        ...(change.by && { by: change.by }),
      })),
      ...reel.generateCalls.map((call) => ({
        at: call.at,
        kind: 'dispatch' as const,
        summary:
          call.kind === 'lookup'
            ? call.ok
              ? `Asked HeyGen about an earlier call: it had made video ${call.heygenVideoId}`
              : `Asked HeyGen about an earlier call: no answer (${call.error ?? 'no reason'})`
            : call.ok
              ? `Sent to HeyGen: taken as video ${call.heygenVideoId}`
              : `Sent to HeyGen: refused (${call.error ?? 'no reason'})`,
        outcome: call.ok ? 'succeeded' : 'failed',
        target: 'heygen',
        ...(call.heygenVideoId && { externalId: call.heygenVideoId }),
        ...(call.error && { error: call.error }),
      })),
      ...outboundEntries(outbound),
      ...notices.map((notice) => noticeEntry(notice, false)),
    ];
    return {
      subject: {
        kind: 'reel',
        id: reel.id,
        workspaceId: reel.workspaceId,
        status: reel.status,
        version: reel.version,
        title: reel.title,
        createdAt: reel.createdAt,
        ...(reel.heygenVideoId && { externalId: reel.heygenVideoId }),
        ...(reel.error && { error: reel.error }),
      },
      entries: inOrder(entries),
      truncated: deliveries.length >= LIMITS.deliveries || outbound.truncated || notices.length >= LIMITS.notices,
    };
  }
}

function deliveryEntry(event: Delivery): TimelineEntryDto {
  const what = `${event.source === 'rck' ? 'RCK' : 'HeyGen'} ${event.eventType ?? 'delivery'}`;
  return {
    at: event.createdAt,
    kind: 'delivery',
    summary: `${event.replayOf ? 'Replay of ' : ''}${what}: ${event.status} (HTTP ${event.httpStatus})${event.error ? `: ${event.error}` : ''}`,
    outcome: event.status,
    eventId: event.id,
    source: event.source,
    ...(event.eventType && { eventType: event.eventType }),
    httpStatus: event.httpStatus,
    ...(event.replayOf && { replayOf: event.replayOf }),
    ...(event.error && { error: event.error }),
  };
}

function outboundEntries(outbound: Awaited<ReturnType<OutboundHistory['about']>>, batchId?: string): TimelineEntryDto[] {
  const where = (url: string | undefined, endpointId: string) => url ?? `endpoint ${endpointId} (deleted)`;
  return [
    ...outbound.messages.map((message) => ({
      at: message.createdAt,
      kind: 'message' as const,
      summary: `${message.eventType} stored for ${where(message.endpointUrl, message.endpointId)}: ${message.status}`,
      outcome: message.status,
      ...(batchId && message.subjectId === batchId && { batch: true }),
      eventType: message.eventType,
      messageId: message.messageId,
      endpointId: message.endpointId,
      ...(message.endpointUrl && { endpointUrl: message.endpointUrl }),
      ...(message.nextAttemptAt && message.status === 'pending' && { nextAttemptAt: message.nextAttemptAt }),
    })),
    ...outbound.attempts.map((attempt) => ({
      at: attempt.attemptedAt,
      kind: 'attempt' as const,
      summary:
        `${attempt.attempt ? `Attempt ${attempt.attempt}` : 'Redelivery by hand'} of ${attempt.eventType} to ${where(attempt.endpointUrl, attempt.endpointId)}: ` +
        (attempt.responseStatus ? `answered ${attempt.responseStatus}` : (attempt.error ?? attempt.status)) +
        ` in ${attempt.latencyMs} ms`,
      outcome: attempt.status,
      eventType: attempt.eventType,
      messageId: attempt.messageId,
      endpointId: attempt.endpointId,
      ...(attempt.endpointUrl && { endpointUrl: attempt.endpointUrl }),
      ...(attempt.attempt !== undefined && { attempt: attempt.attempt }),
      ...(attempt.responseStatus !== undefined && { responseStatus: attempt.responseStatus }),
      latencyMs: attempt.latencyMs,
      ...(attempt.error && { error: attempt.error }),
      ...(attempt.nextAttemptAt && { nextAttemptAt: attempt.nextAttemptAt }),
    })),
  ];
}

function noticeEntry(notice: NoticeRecord, batch: boolean): TimelineEntryDto {
  const what = notice.channel === 'email' ? `E-mail "${notice.title}" to ${notice.to ?? '(unknown)'}` : `${notice.channel === 'slack' ? 'Slack' : 'Discord'} message "${notice.title}"`;
  return {
    at: notice.queuedAt,
    kind: notice.channel === 'email' ? 'email' : 'chat',
    summary: `${what}: ${notice.state}${notice.error ? ` (${notice.error})` : ''}`,
    outcome: notice.state,
    ...(batch && { batch: true }),
    channel: notice.channel,
    ...(notice.to && { to: notice.to }),
    ...(notice.sentAt && { sentAt: notice.sentAt }),
    attempts: notice.attempts,
    ...(notice.error && { error: notice.error }),
    ...(notice.nextAttemptAt && { nextAttemptAt: notice.nextAttemptAt }),
  };
}

/** Oldest first; within one millisecond, causes before effects. */
function inOrder(entries: TimelineEntryDto[]): TimelineEntryDto[] {
  return entries.sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime() || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
}
