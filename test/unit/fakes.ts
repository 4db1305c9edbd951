/**
 * In-memory stand-ins for the repositories and services the unit specs' services call. Each
 * implements exactly the methods its service calls, typed with `Pick<Real, ...>`, so a change of
 * signature in the real class fails compilation here; each records what it was asked, so a spec
 * asserts what was written, queued or published (and what was not).
 *
 * The repositories' fakes keep the real ones' state rules (which states a change may leave), as
 * their doc comments state them: the service under test decides from what they answer.
 */
import type { HttpService } from '@nestjs/axios';
import type { AxiosRequestConfig, AxiosResponse } from 'axios';
import { Types } from 'mongoose';
import { Readable } from 'node:stream';
import { Observable, of, throwError } from 'rxjs';
import { OutboundUrlRefused, type OutboundUrlGuard } from '../../src/outbound-url/outbound-url.js';
import type { NewAttempt, OutboundMessageRepository, WebhookMessageRecord } from '../../src/outbound-webhooks/outbound-message.repository.js';
import type { WebhookEndpointRecord, WebhookEndpointRepository } from '../../src/outbound-webhooks/webhook-endpoint.repository.js';
import type { MessageStatus } from '../../src/outbound-webhooks/webhook-message.schema.js';
import type { JobRunner } from '../../src/jobs/job-runner.js';
import type { MetricsService } from '../../src/metrics/metrics.service.js';
import type { ChatEvent } from '../../src/notifications/chat-messages.js';
import type { MailMessage } from '../../src/notifications/mailer.js';
import type { NotificationsService } from '../../src/notifications/notifications.service.js';
import type { OutboundEvents } from '../../src/outbound-webhooks/outbound-events.js';
import type { OutboundEventType } from '../../src/outbound-webhooks/webhook-endpoint.schema.js';
import type { GenerateVideoRequest, VideoStatusAnswer } from '../../src/reels/heygen.client.js';
import type { HeygenClient } from '../../src/reels/heygen.provider.js';
import type { ReelRecord, ReelRepository, ReelResult } from '../../src/reels/reel.repository.js';
import type { ReelStatus } from '../../src/reels/reel.schema.js';
import type { UserRecord, UserRepository } from '../../src/users/user.repository.js';
import type { AIVideoRecord, AIVideoRepository, CompletionResult } from '../../src/videos/ai-video.repository.js';
import type { OwedEffects } from '../../src/videos/ai-video.schema.js';
import type { BatchDigestService } from '../../src/videos/batch-digest.service.js';
import type { VideoBatchRecord, VideoBatchRepository } from '../../src/videos/video-batch.repository.js';
import type { VideoEffectsService } from '../../src/videos/video-effects.service.js';
import type { VideoSyncService } from '../../src/videos/video-sync.service.js';
import type { WorkspaceRepository } from '../../src/workspaces/workspace.repository.js';
import { Role } from '../../src/common/role.enum.js';

export const newId = (): string => new Types.ObjectId().toHexString();

const copy = <T>(value: T): T => structuredClone(value);
const IN_FLIGHT = ['pending', 'generating'];

/** Makes `method` of a fake throw `error` on its calls (until `heal`). */
export class Failures<M extends string> {
  private readonly failing = new Map<M, Error>();
  fail(method: M, error: Error = new Error(`${method} failed`)): void {
    this.failing.set(method, error);
  }
  heal(method: M): void {
    this.failing.delete(method);
  }
  check(method: M): void {
    const error = this.failing.get(method);
    if (error) throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Videos

/** A video as AIVideoRepository answers it: `generating`, version 0, nothing owed, unless overridden. */
export function givenVideo(overrides: Partial<Omit<AIVideoRecord, 'metadata'>> & { metadata?: Partial<AIVideoRecord['metadata']> } = {}): AIVideoRecord {
  const { metadata, ...rest } = overrides;
  const at = new Date('2026-03-01T10:00:00Z');
  return {
    id: newId(),
    userId: newId(),
    workspaceId: newId(),
    productId: newId(),
    template: 'Template',
    status: 'generating',
    createdAt: at,
    updatedAt: at,
    ...rest,
    metadata: {
      templateId: 'tpl-1',
      templateName: 'Template',
      queuedAt: at,
      aspect_ratio: '9:16',
      batchId: 'batch-1',
      dispatchAttempts: 1,
      retryCount: 0,
      quotaPeriod: '2026-03',
      quotaHeld: true,
      productSynced: true,
      version: 1,
      ...metadata,
    },
  };
}

type VideoMethods = 'findById' | 'complete' | 'fail' | 'findOwed' | 'settleOwed' | 'countInFlight' | 'findByBatch';

/** What a service asked the repository to change (whether or not the change was due). */
export type VideoChangeRequest =
  | { kind: 'complete'; id: string; readAtVersion: number; result: CompletionResult }
  | { kind: 'fail'; id: string; readAtVersion: number; error: string; chat: boolean };

export class FakeVideoRepository implements Pick<AIVideoRepository, VideoMethods> {
  readonly stored = new Map<string, AIVideoRecord>();
  readonly requests: VideoChangeRequest[] = [];
  readonly settled: Array<{ id: string; version: number }> = [];
  readonly owedQueries: Array<{ before: Date; limit: number }> = [];
  readonly failures = new Failures<VideoMethods>();
  /** Run once, just before the next change is applied: another writer getting there first. */
  private interleaved?: () => void;

  constructor(...videos: AIVideoRecord[]) {
    for (const video of videos) this.put(video);
  }

  put(video: AIVideoRecord): AIVideoRecord {
    this.stored.set(video.id, copy(video));
    return video;
  }

  get(id: string): AIVideoRecord {
    const video = this.stored.get(id);
    if (!video) throw new Error(`no video ${id} in the fake`);
    return copy(video);
  }

  /** `change` runs between the service's read and its conditional update (a concurrent callback). */
  beforeNextChange(change: () => void): void {
    this.interleaved = change;
  }

  async findById(id: string): Promise<AIVideoRecord | null> {
    this.failures.check('findById');
    const video = this.stored.get(id);
    return video ? copy(video) : null;
  }

  /** As the real one: null when the video is, or meanwhile became, completed. */
  async complete(video: AIVideoRecord, result: CompletionResult, now = new Date()): Promise<AIVideoRecord | null> {
    this.failures.check('complete');
    this.requests.push({ kind: 'complete', id: video.id, readAtVersion: video.metadata.version, result });
    return this.change(video.id, (current) => {
      if (current.status === 'completed') return null;
      const defined = Object.fromEntries(Object.entries(result).filter(([, value]) => value !== undefined));
      const metadata = { ...current.metadata, ...defined, completedAt: now };
      const data = { videoId: current.id, productId: current.productId, videoUrl: metadata.videoUrl, youtubeVideoId: metadata.youtubeVideoId, imgS3Url: metadata.imgS3Url, completedAt: now };
      const { error: _error, ...rest } = current;
      return { ...rest, status: 'completed', metadata: { ...metadata, ...owing(current, now, { event: 'video.completed', data, inFlight: inFlightDelta(current, 'completed') }) } };
    });
  }

  /** As the real one: null when the video is, or meanwhile reached, a final state. */
  async fail(video: AIVideoRecord, error: string, options: { now?: Date; chat?: boolean } = {}): Promise<AIVideoRecord | null> {
    this.failures.check('fail');
    const now = options.now ?? new Date();
    this.requests.push({ kind: 'fail', id: video.id, readAtVersion: video.metadata.version, error, chat: options.chat ?? false });
    return this.change(video.id, (current) => {
      if (!IN_FLIGHT.includes(current.status)) return null;
      const effects = { event: 'video.failed' as const, data: { videoId: current.id, productId: current.productId, error }, inFlight: inFlightDelta(current, 'failed'), ...(options.chat && { chat: true }) };
      return { ...current, status: 'failed', error, metadata: { ...current.metadata, failedAt: now, ...owing(current, now, effects) } };
    });
  }

  async findOwed(before: Date, limit: number): Promise<AIVideoRecord[]> {
    this.failures.check('findOwed');
    this.owedQueries.push({ before, limit });
    return [...this.stored.values()].filter((video) => (video.metadata.owed ?? []).some((entry) => entry.at < before)).slice(0, limit).map(copy);
  }

  async settleOwed(id: string, version: number): Promise<void> {
    this.failures.check('settleOwed');
    this.settled.push({ id, version });
    const video = this.stored.get(id);
    if (video) video.metadata.owed = (video.metadata.owed ?? []).filter((entry) => entry.version !== version);
  }

  async countInFlight(batchId: string): Promise<number> {
    this.failures.check('countInFlight');
    return [...this.stored.values()].filter((video) => video.metadata.batchId === batchId && IN_FLIGHT.includes(video.status)).length;
  }

  async findByBatch(batchId: string): Promise<AIVideoRecord[]> {
    this.failures.check('findByBatch');
    return [...this.stored.values()].filter((video) => video.metadata.batchId === batchId).map(copy);
  }

  private change(id: string, decide: (current: AIVideoRecord) => AIVideoRecord | null): AIVideoRecord | null {
    const interleaved = this.interleaved;
    this.interleaved = undefined;
    interleaved?.();
    const current = this.stored.get(id);
    const next = current ? decide(copy(current)) : null;
    if (!next) return null;
    next.metadata.productSynced = false;
    this.stored.set(id, copy(next));
    return copy(next);
  }
}

/** The version bump and the owed entry a change records (as the real repository's `owed`). */
function owing(video: AIVideoRecord, at: Date, effects: Omit<OwedEffects, 'version' | 'at'>): Pick<AIVideoRecord['metadata'], 'version' | 'owed'> {
  const version = video.metadata.version + 1;
  return { version, owed: [...(video.metadata.owed ?? []), { version, at, ...effects }] };
}

function inFlightDelta(video: AIVideoRecord, status: string): number {
  return Number(IN_FLIGHT.includes(status)) - Number(IN_FLIGHT.includes(video.status));
}

export class FakeVideoEffects implements Pick<VideoEffectsService, 'pay'> {
  /** Each call's videos, as handed over. */
  readonly payments: AIVideoRecord[][] = [];
  async pay(videos: AIVideoRecord[]): Promise<void> {
    this.payments.push(copy(videos));
  }
}

export class FakeVideoSync implements Pick<VideoSyncService, 'syncProductCopies'> {
  readonly synced: Array<{ id: string; version: number }> = [];
  readonly failures = new Failures<'syncProductCopies'>();
  async syncProductCopies(videos: AIVideoRecord[]): Promise<void> {
    this.failures.check('syncProductCopies');
    this.synced.push(...videos.filter((video) => !video.metadata.productSynced).map((video) => ({ id: video.id, version: video.metadata.version })));
  }
}

export class FakeBatchDigests implements Pick<BatchDigestService, 'inFlightChanged'> {
  readonly moves: Array<{ batchId: string; delta: number }> = [];
  readonly failures = new Failures<'inFlightChanged'>();
  async inFlightChanged(batchId: string, delta: number): Promise<void> {
    this.failures.check('inFlightChanged');
    this.moves.push({ batchId, delta });
  }
}

export class FakeWorkspaces implements Pick<WorkspaceRepository, 'releaseVideoQuotaOnce'> {
  /** Units given back, by key: a key seen twice gives back nothing the second time (as the real one). */
  readonly released: Array<{ workspaceId: string; period: string; key: string }> = [];
  readonly asked: string[] = [];
  readonly failures = new Failures<'releaseVideoQuotaOnce'>();
  async releaseVideoQuotaOnce(workspaceId: string, period: string, key: string): Promise<void> {
    this.failures.check('releaseVideoQuotaOnce');
    this.asked.push(key);
    if (!this.released.some((unit) => unit.key === key)) this.released.push({ workspaceId, period, key });
  }
}

// ---------------------------------------------------------------------------------------------
// Video batches

export function givenBatch(overrides: Partial<VideoBatchRecord> = {}): VideoBatchRecord {
  const at = new Date('2026-03-01T10:00:00Z');
  return { batchId: `batch-${newId()}`, workspaceId: newId(), userId: newId(), total: 2, digestDueAt: new Date(at.getTime() + 3600_000), createdAt: at, ...overrides };
}

type BatchMethods = 'create' | 'addInFlight' | 'setInFlight' | 'delete' | 'findByBatchId' | 'findDue' | 'claimDigest' | 'releaseDigest' | 'markDigestSent';

export class FakeVideoBatchRepository implements Pick<VideoBatchRepository, BatchMethods> {
  readonly stored = new Map<string, VideoBatchRecord & { inFlight: number }>();
  readonly created: Array<{ batchId: string; digestDueAt: Date; now: Date }> = [];
  readonly deleted: string[] = [];
  readonly setCounts: Array<{ batchId: string; inFlight: number }> = [];
  readonly claims: Array<{ batchId: string; now: Date; staleBefore: Date; won: boolean }> = [];
  readonly releases: Array<{ batchId: string; claimedAt: Date }> = [];
  readonly dueQueries: Array<{ now: Date; limit: number }> = [];
  readonly failures = new Failures<BatchMethods>();

  put(batch: VideoBatchRecord, inFlight = batch.total): VideoBatchRecord {
    this.stored.set(batch.batchId, { ...copy(batch), inFlight });
    return batch;
  }

  get(batchId: string): VideoBatchRecord & { inFlight: number } {
    const batch = this.stored.get(batchId);
    if (!batch) throw new Error(`no batch ${batchId} in the fake`);
    return copy(batch);
  }

  async create(batch: { batchId: string; workspaceId: string; userId: string; total: number; digestDueAt: Date }, now: Date): Promise<void> {
    this.failures.check('create');
    this.created.push({ batchId: batch.batchId, digestDueAt: batch.digestDueAt, now });
    this.stored.set(batch.batchId, { ...batch, inFlight: batch.total, createdAt: now });
  }

  async addInFlight(batchId: string, delta: number): Promise<number | null> {
    this.failures.check('addInFlight');
    const batch = this.stored.get(batchId);
    if (!batch) return null;
    batch.inFlight += delta;
    return batch.inFlight;
  }

  async setInFlight(batchId: string, inFlight: number): Promise<void> {
    this.failures.check('setInFlight');
    this.setCounts.push({ batchId, inFlight });
    const batch = this.stored.get(batchId);
    if (batch) batch.inFlight = inFlight;
  }

  async delete(batchId: string): Promise<void> {
    this.failures.check('delete');
    this.deleted.push(batchId);
    this.stored.delete(batchId);
  }

  async findByBatchId(batchId: string): Promise<VideoBatchRecord | null> {
    this.failures.check('findByBatchId');
    const batch = this.stored.get(batchId);
    if (!batch) return null;
    const { inFlight: _inFlight, ...record } = copy(batch);
    return record;
  }

  async findDue(now: Date, limit: number): Promise<VideoBatchRecord[]> {
    this.failures.check('findDue');
    this.dueQueries.push({ now, limit });
    return [...this.stored.values()]
      .filter((batch) => !batch.digestSentAt && batch.digestDueAt <= now)
      .sort((a, b) => a.digestDueAt.getTime() - b.digestDueAt.getTime())
      .slice(0, limit)
      .map(({ inFlight: _inFlight, ...record }) => copy(record));
  }

  /** As the real one: won when not sent and not claimed, or claimed before `staleBefore`. */
  async claimDigest(batchId: string, now: Date, staleBefore: Date): Promise<boolean> {
    this.failures.check('claimDigest');
    const batch = this.stored.get(batchId);
    const won = !!batch && !batch.digestSentAt && (!batch.digestClaimedAt || batch.digestClaimedAt < staleBefore);
    if (won) batch.digestClaimedAt = now;
    this.claims.push({ batchId, now, staleBefore, won });
    return won;
  }

  async releaseDigest(batchId: string, claimedAt: Date): Promise<void> {
    this.failures.check('releaseDigest');
    this.releases.push({ batchId, claimedAt });
    const batch = this.stored.get(batchId);
    if (batch && !batch.digestSentAt && batch.digestClaimedAt?.getTime() === claimedAt.getTime()) delete batch.digestClaimedAt;
  }

  async markDigestSent(batchId: string, now: Date, counts: { completed: number; failed: number; inFlight: number }): Promise<void> {
    this.failures.check('markDigestSent');
    const batch = this.stored.get(batchId);
    if (batch) Object.assign(batch, { digestSentAt: now, digestCounts: counts });
  }
}

// ---------------------------------------------------------------------------------------------
// Reels

export function givenReel(overrides: Partial<ReelRecord> = {}): ReelRecord {
  const at = new Date('2026-03-01T10:00:00Z');
  return {
    id: newId(),
    userId: newId(),
    workspaceId: newId(),
    title: 'Spring launch',
    script: 'Hello',
    avatarId: 'avatar-1',
    voiceId: 'voice-1',
    aspectRatio: '9:16',
    dimension: { width: 720, height: 1280 },
    status: 'processing',
    heygenVideoId: `hg-${newId()}`,
    generateAttempts: 1,
    notifyPending: false,
    version: 3,
    history: [],
    generateCalls: [],
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

type ReelMethods =
  | 'findById'
  | 'findByHeygenVideoId'
  | 'complete'
  | 'fail'
  | 'noteRefusedEvent'
  | 'markNotified'
  | 'findStaleProcessing'
  | 'markChecked'
  | 'findNotifyPending'
  | 'markGenerateStarted'
  | 'markGenerateFailed'
  | 'markProcessing';

/** The states the real ReelRepository lets each HeyGen verdict leave. */
const COMPLETABLE: ReelStatus[] = ['approved', 'processing', 'failed'];
const FAILABLE: ReelStatus[] = ['approved', 'processing'];

export class FakeReelRepository implements Pick<ReelRepository, ReelMethods> {
  readonly stored = new Map<string, ReelRecord>();
  readonly requests: Array<{ kind: 'complete' | 'fail'; id: string; at: Date; heygenVideoId?: string; result?: ReelResult; reason?: string }> = [];
  readonly notedRefusals: Array<{ id: string; reason: string }> = [];
  readonly notified: Array<{ id: string; status: ReelStatus }> = [];
  readonly checked: Array<{ id: string; at: Date }> = [];
  readonly staleQueries: Array<{ cutoff: Date; limit: number }> = [];
  readonly generateFailures: Array<{ id: string; reason: string; countAttempt: boolean }> = [];
  readonly processing: Array<{ id: string; heygenVideoId: string; at: Date; countAttempt: boolean }> = [];
  readonly failures = new Failures<ReelMethods>();

  put(reel: ReelRecord): ReelRecord {
    this.stored.set(reel.id, copy(reel));
    return reel;
  }

  get(id: string): ReelRecord {
    const reel = this.stored.get(id);
    if (!reel) throw new Error(`no reel ${id} in the fake`);
    return copy(reel);
  }

  async findById(id: string): Promise<ReelRecord | null> {
    this.failures.check('findById');
    const reel = this.stored.get(id);
    return reel ? copy(reel) : null;
  }

  async findByHeygenVideoId(videoId: string): Promise<ReelRecord | null> {
    this.failures.check('findByHeygenVideoId');
    const reel = [...this.stored.values()].find((candidate) => candidate.heygenVideoId === videoId);
    return reel ? copy(reel) : null;
  }

  async complete(id: string, result: ReelResult, now: Date, heygenVideoId?: string): Promise<ReelRecord | null> {
    this.failures.check('complete');
    this.requests.push({ kind: 'complete', id, at: now, heygenVideoId, result });
    return this.transition(id, COMPLETABLE, heygenVideoId, (reel) => {
      const { error: _error, failedAt: _failedAt, lastGenerateError: _generate, lastEventError: _event, ...rest } = reel;
      return {
        ...rest,
        status: 'completed',
        completedAt: now,
        ...(result.videoUrl !== undefined && { videoUrl: result.videoUrl, urlsFetchedAt: now }),
        ...(result.thumbnailUrl !== undefined && { thumbnailUrl: result.thumbnailUrl }),
      };
    });
  }

  async fail(id: string, reason: string, now: Date, heygenVideoId?: string): Promise<ReelRecord | null> {
    this.failures.check('fail');
    this.requests.push({ kind: 'fail', id, at: now, heygenVideoId, reason });
    return this.transition(id, FAILABLE, heygenVideoId, (reel) => {
      const { lastEventError: _event, ...rest } = reel;
      return { ...rest, status: 'failed', error: reason, failedAt: now };
    });
  }

  async noteRefusedEvent(id: string, reason: string): Promise<void> {
    this.failures.check('noteRefusedEvent');
    this.notedRefusals.push({ id, reason });
    const reel = this.stored.get(id);
    if (reel && COMPLETABLE.includes(reel.status)) reel.lastEventError = reason;
  }

  async markNotified(id: string, status: ReelStatus): Promise<void> {
    this.failures.check('markNotified');
    this.notified.push({ id, status });
    const reel = this.stored.get(id);
    if (reel && reel.status === status) reel.notifyPending = false;
  }

  /** As the real one: processing since before `cutoff` and not asked about since. */
  async findStaleProcessing(cutoff: Date, limit: number): Promise<ReelRecord[]> {
    this.failures.check('findStaleProcessing');
    this.staleQueries.push({ cutoff, limit });
    return [...this.stored.values()]
      .filter((reel) => reel.status === 'processing' && reel.processingAt! < cutoff && (!reel.lastCheckedAt || reel.lastCheckedAt < cutoff))
      .slice(0, limit)
      .map(copy);
  }

  async markChecked(id: string, now: Date): Promise<void> {
    this.checked.push({ id, at: now });
    const reel = this.stored.get(id);
    if (reel) reel.lastCheckedAt = now;
  }

  async findNotifyPending(updatedBefore: Date, limit: number): Promise<ReelRecord[]> {
    return [...this.stored.values()].filter((reel) => reel.notifyPending && reel.updatedAt < updatedBefore).slice(0, limit).map(copy);
  }

  async markGenerateStarted(id: string, now: Date): Promise<void> {
    const reel = this.stored.get(id);
    if (reel) reel.generateStartedAt ??= now;
  }

  async markGenerateFailed(id: string, reason: string, countAttempt = true): Promise<void> {
    this.generateFailures.push({ id, reason, countAttempt });
    const reel = this.stored.get(id);
    if (reel?.status === 'approved') Object.assign(reel, { lastGenerateError: reason, generateAttempts: reel.generateAttempts + (countAttempt ? 1 : 0) });
  }

  /** As the real one: the video id is recorded if the reel has none, then approved → processing. */
  async markProcessing(id: string, heygenVideoId: string, now: Date, countAttempt = true): Promise<ReelRecord | null> {
    this.processing.push({ id, heygenVideoId, at: now, countAttempt });
    const reel = this.stored.get(id);
    if (reel && reel.heygenVideoId === undefined) Object.assign(reel, { heygenVideoId, generateAttempts: reel.generateAttempts + (countAttempt ? 1 : 0) });
    if (!reel || reel.status !== 'approved') return null;
    Object.assign(reel, { status: 'processing', processingAt: now, version: reel.version + 1 });
    delete reel.lastGenerateError;
    return copy(reel);
  }

  private transition(id: string, from: ReelStatus[], heygenVideoId: string | undefined, change: (reel: ReelRecord) => ReelRecord): ReelRecord | null {
    const reel = this.stored.get(id);
    if (!reel || !from.includes(reel.status)) return null;
    // Never attach a webhook's video id to a reel that already has another one.
    if (heygenVideoId !== undefined && reel.heygenVideoId !== undefined && reel.heygenVideoId !== heygenVideoId) return null;
    const next = { ...change(copy(reel)), notifyPending: true, version: reel.version + 1, ...(heygenVideoId !== undefined && { heygenVideoId }) };
    this.stored.set(id, copy(next));
    return copy(next);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared services

export class FakeUsers implements Pick<UserRepository, 'findActiveById'> {
  readonly users = new Map<string, UserRecord>();
  given(id: string, overrides: Partial<UserRecord> = {}): UserRecord {
    const at = new Date('2026-01-01T00:00:00Z');
    const user: UserRecord = { id, email: `user-${id.slice(-6)}@example.com`, name: 'Ada', role: Role.User, active: true, createdAt: at, updatedAt: at, ...overrides };
    this.users.set(id, user);
    return user;
  }
  async findActiveById(id: string): Promise<UserRecord | null> {
    const user = this.users.get(id);
    return user && user.active ? user : null;
  }
}

export interface Published {
  workspaceId: string;
  eventType: OutboundEventType;
  data: Record<string, unknown>;
  messageId?: string;
}

export class FakeOutboundEvents implements Pick<OutboundEvents, 'publish'> {
  readonly published: Published[] = [];
  readonly failures = new Failures<'publish'>();
  async publish(workspaceId: string, eventType: OutboundEventType, data: Record<string, unknown>, options: { messageId?: string } = {}): Promise<string | undefined> {
    this.failures.check('publish');
    this.published.push({ workspaceId, eventType, data: copy(data), ...(options.messageId && { messageId: options.messageId }) });
    return options.messageId ?? 'msg_random';
  }
}

export interface QueuedEmail {
  workspaceId: string;
  message: MailMessage;
  key: Record<string, unknown>;
  once: boolean;
}

export interface QueuedChat {
  workspaceId: string;
  event: ChatEvent;
  key: Record<string, unknown>;
  once: boolean;
}

export class FakeNotifications implements Pick<NotificationsService, 'emailForWorkspace' | 'chat' | 'chatOnce' | 'emailProducers'> {
  readonly emails: QueuedEmail[] = [];
  /** E-mails to a workspace's producers, as built for one producer named Ada. */
  readonly producerEmails: Array<{ workspaceId: string; message: Omit<MailMessage, 'to'>; key: Record<string, unknown>; once: boolean }> = [];
  readonly chats: QueuedChat[] = [];
  /** The workspace's e-mail setting (NotificationsService answers false and queues nothing when off). */
  emailEnabled = true;
  readonly failures = new Failures<'emailForWorkspace' | 'chatOnce' | 'emailProducers'>();

  async emailForWorkspace(workspaceId: string, message: MailMessage, key: Record<string, unknown>, options: { once?: boolean } = {}): Promise<boolean> {
    this.failures.check('emailForWorkspace');
    if (!this.emailEnabled) return false;
    this.emails.push({ workspaceId, message, key, once: options.once ?? false });
    return true;
  }

  /** Never throws, as the real one (chat is a courtesy). */
  async chat(workspaceId: string, event: ChatEvent, key: Record<string, unknown>): Promise<void> {
    this.chats.push({ workspaceId, event, key, once: false });
  }

  async emailProducers(workspaceId: string, build: (producer: UserRecord) => Omit<MailMessage, 'to'>, key: Record<string, unknown>, options: { once?: boolean } = {}): Promise<number> {
    this.failures.check('emailProducers');
    this.producerEmails.push({ workspaceId, message: build({ id: 'producer', name: 'Ada', email: 'ada@example.com' } as UserRecord), key, once: options.once ?? false });
    return 1;
  }

  async chatOnce(workspaceId: string, event: ChatEvent, key: Record<string, unknown>): Promise<void> {
    this.failures.check('chatOnce');
    this.chats.push({ workspaceId, event, key, once: true });
  }
}

export class FakeJobRunner implements Pick<JobRunner, 'define' | 'enqueue'> {
  readonly defined: string[] = [];
  readonly enqueued: Array<{ name: string; data: object; options: Parameters<JobRunner['enqueue']>[2] }> = [];
  readonly failures = new Failures<'enqueue'>();
  define(name: string): void {
    this.defined.push(name);
  }
  async enqueue<T extends object>(name: string, data: T, options: Parameters<JobRunner['enqueue']>[2] = {}): Promise<void> {
    this.failures.check('enqueue');
    this.enqueued.push({ name, data: copy(data), options: copy(options) });
  }
}

export class FakeMetrics implements Pick<MetricsService, 'videoCompleted' | 'videoEntered' | 'reelEntered' | 'outboundAttempt'> {
  readonly entered: string[] = [];
  readonly outboundAttempts: string[] = [];
  outboundAttempt(outcome: string): void {
    this.outboundAttempts.push(outcome);
  }
  videoCompleted(): void {
    this.entered.push('video:completed');
  }
  videoEntered(status: string): void {
    this.entered.push(`video:${status}`);
  }
  reelEntered(status: string): void {
    this.entered.push(`reel:${status}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Outbound webhooks (messages to customers' endpoints)

export function givenEndpoint(overrides: Partial<WebhookEndpointRecord> = {}): WebhookEndpointRecord {
  const at = new Date('2026-03-01T10:00:00Z');
  return { id: newId(), workspaceId: newId(), url: 'https://hooks.customer.example/videogen', eventTypes: ['video.completed'], enabled: true, createdAt: at, updatedAt: at, ...overrides };
}

export function givenMessage(endpoint: WebhookEndpointRecord, overrides: Partial<WebhookMessageRecord> = {}): WebhookMessageRecord {
  return {
    id: newId(),
    messageId: `msg_${newId()}`,
    endpointId: endpoint.id,
    workspaceId: endpoint.workspaceId,
    eventType: 'video.completed',
    payload: JSON.stringify({ type: 'video.completed', data: { videoId: 'v1' } }),
    status: 'pending',
    attempts: 0,
    createdAt: new Date('2026-03-01T10:00:00Z'),
    ...overrides,
  };
}

type MessageMethods = 'findMessage' | 'abandon' | 'recordScheduledOutcome' | 'markDelivered' | 'addAttempt';

export class FakeOutboundMessages implements Pick<OutboundMessageRepository, MessageMethods> {
  readonly stored = new Map<string, WebhookMessageRecord>();
  readonly outcomes: Array<{ id: string; attempt: number; status: string; at: Date; nextAttemptAt?: Date }> = [];
  readonly attempts: NewAttempt[] = [];
  readonly abandoned: string[] = [];
  readonly delivered: Array<{ id: string; at: Date }> = [];

  put(message: WebhookMessageRecord): WebhookMessageRecord {
    this.stored.set(message.id, copy(message));
    return message;
  }

  get(id: string): WebhookMessageRecord {
    return copy(this.stored.get(id)!);
  }

  async findMessage(workspaceId: string, endpointId: string, messageId: string): Promise<WebhookMessageRecord | null> {
    const message = [...this.stored.values()].find((candidate) => candidate.workspaceId === workspaceId && candidate.endpointId === endpointId && candidate.messageId === messageId);
    return message ? copy(message) : null;
  }

  async abandon(id: string): Promise<void> {
    this.abandoned.push(id);
    const message = this.stored.get(id);
    if (message?.status === 'pending') Object.assign(message, { status: 'failed', nextAttemptAt: undefined });
  }

  /** As the real one: recorded only by the run that finds the attempt before it recorded (a job may run twice). */
  readonly failures = new Failures<'recordScheduledOutcome'>();

  async recordScheduledOutcome(id: string, attempt: number, outcome: { status: MessageStatus; at: Date; nextAttemptAt?: Date }): Promise<boolean> {
    this.failures.check('recordScheduledOutcome');
    this.outcomes.push({ id, attempt, ...outcome });
    const message = this.stored.get(id);
    if (!message || message.status !== 'pending' || message.attempts !== attempt - 1) return false;
    Object.assign(message, { status: outcome.status, attempts: attempt, lastAttemptAt: outcome.at, nextAttemptAt: outcome.nextAttemptAt });
    return true;
  }

  async markDelivered(id: string, at: Date): Promise<void> {
    this.delivered.push({ id, at });
    const message = this.stored.get(id);
    if (message) Object.assign(message, { status: 'succeeded', lastAttemptAt: at, nextAttemptAt: undefined });
  }

  async addAttempt(attempt: NewAttempt): Promise<void> {
    this.attempts.push(copy(attempt));
  }
}

type EndpointMethods = 'findForDelivery' | 'markHealthy' | 'markFailing' | 'disable' | 'noticePaid';

export class FakeWebhookEndpoints implements Pick<WebhookEndpointRepository, EndpointMethods> {
  readonly stored = new Map<string, WebhookEndpointRecord & { secrets: string[] }>();
  readonly healthy: string[] = [];
  readonly disabled: Array<{ id: string; reason: string; at: Date }> = [];

  put(endpoint: WebhookEndpointRecord, secrets: string[]): WebhookEndpointRecord {
    this.stored.set(endpoint.id, { ...copy(endpoint), secrets });
    return endpoint;
  }

  get(id: string): WebhookEndpointRecord {
    const { secrets: _secrets, ...endpoint } = copy(this.stored.get(id)!);
    return endpoint;
  }

  async findForDelivery(workspaceId: string, id: string): Promise<{ endpoint: WebhookEndpointRecord; secrets: string[] } | null> {
    const stored = this.stored.get(id);
    if (!stored || stored.workspaceId !== workspaceId) return null;
    const { secrets, ...endpoint } = copy(stored);
    return { endpoint, secrets };
  }

  async markHealthy(id: string): Promise<void> {
    this.healthy.push(id);
    const endpoint = this.stored.get(id);
    if (endpoint) delete endpoint.failingSince;
  }

  /** As the real one: failing since the first failure after the last success; answers since when. */
  async markFailing(id: string, now: Date): Promise<Date | undefined> {
    const endpoint = this.stored.get(id);
    if (!endpoint) return undefined;
    endpoint.failingSince ??= now;
    return endpoint.failingSince;
  }

  /** True for the call that disabled it (it was enabled). */
  async disable(id: string, reason: string, at: Date): Promise<boolean> {
    const endpoint = this.stored.get(id);
    if (!endpoint?.enabled) return false;
    Object.assign(endpoint, { enabled: false, disabledReason: reason, disabledAt: at });
    this.disabled.push({ id, reason, at });
    this.noticesOwed.add(id);
    return true;
  }

  /** Endpoints whose disable's e-mail is owed (set with the disable, as the real one does). */
  readonly noticesOwed = new Set<string>();

  async noticePaid(id: string, disabledAt: Date): Promise<void> {
    if (this.stored.get(id)?.disabledAt?.getTime() === disabledAt.getTime()) this.noticesOwed.delete(id);
  }
}

/** What the endpoint answers the next posts (the last answer repeats), and what it was sent. */
export class FakeHttp implements Pick<HttpService, 'post'> {
  readonly posts: Array<{ url: string; body: unknown; headers: Record<string, string> }> = [];
  private answers: Array<{ status: number; headers?: Record<string, string>; body?: string } | Error> = [{ status: 200 }];

  answer(...answers: Array<{ status: number; headers?: Record<string, string>; body?: string } | Error>): void {
    this.answers = answers;
  }

  post<T = unknown>(url: string, body?: unknown, config?: AxiosRequestConfig): Observable<AxiosResponse<T>> {
    this.posts.push({ url, body, headers: { ...(config?.headers as Record<string, string>) } });
    const answer = this.answers.length > 1 ? this.answers.shift()! : this.answers[0];
    if (answer instanceof Error) return throwError(() => answer);
    return of({ status: answer.status, statusText: '', headers: answer.headers ?? {}, config: {}, data: Readable.from([answer.body ?? '']) } as unknown as AxiosResponse<T>);
  }
}

export class FakeUrlGuard implements Pick<OutboundUrlGuard, 'check' | 'enforced' | 'lookup'> {
  readonly enforced = false;
  refuse?: string;
  readonly lookup = async (): Promise<never> => {
    throw new Error('not used: the guard is not enforced in unit tests');
  };
  async check(): Promise<void> {
    if (this.refuse) throw new OutboundUrlRefused(this.refuse);
  }
}

/** HeyGen's API as the reels' generation and reconciliation call it. */
export class FakeHeygen implements Pick<HeygenClient, 'generateVideo' | 'findVideoByCallbackId' | 'videoStatus'> {
  readonly generated: GenerateVideoRequest[] = [];
  readonly lookups: Array<{ callbackId: string; since: Date }> = [];
  readonly statuses = new Map<string, VideoStatusAnswer | Error>();
  nextVideoId = 'hg-new';
  earlierVideo?: string;
  readonly failures = new Failures<'generateVideo' | 'findVideoByCallbackId'>();

  async generateVideo(request: GenerateVideoRequest): Promise<string> {
    this.failures.check('generateVideo');
    this.generated.push(request);
    return this.nextVideoId;
  }

  async findVideoByCallbackId(callbackId: string, _title: string, since: Date): Promise<string | undefined> {
    this.failures.check('findVideoByCallbackId');
    this.lookups.push({ callbackId, since });
    return this.earlierVideo;
  }

  async videoStatus(videoId: string): Promise<VideoStatusAnswer> {
    const answer = this.statuses.get(videoId);
    if (answer instanceof Error) throw answer;
    return answer ?? { status: 'processing' };
  }
}
