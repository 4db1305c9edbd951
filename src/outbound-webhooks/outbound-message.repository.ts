import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Coalescer } from '../database/coalescer.js';
import { insertEach } from '../database/insert-each.js';
import { isDuplicateKeyError } from '../common/mongo-errors.js';
import { AttemptStatus, MessageStatus, WebhookAttempt, WebhookMessage } from './webhook-message.schema.js';

export interface WebhookMessageRecord {
  id: string;
  messageId: string;
  endpointId: string;
  workspaceId: string;
  eventType: string;
  payload: string;
  status: MessageStatus;
  attempts: number;
  nextAttemptAt?: Date;
  lastAttemptAt?: Date;
  createdAt: Date;
}

export interface WebhookAttemptRecord {
  id: string;
  endpointId: string;
  messageId: string;
  eventType: string;
  attempt?: number;
  trigger: 'scheduled' | 'manual';
  status: AttemptStatus;
  responseStatus?: number;
  responseBody?: string;
  latencyMs: number;
  error?: string;
  attemptedAt: Date;
  nextAttemptAt?: Date;
}

export type NewAttempt = Omit<WebhookAttemptRecord, 'id'> & { workspaceId: string };

type LeanMessage = WebhookMessage & { _id: Types.ObjectId };
type LeanAttempt = WebhookAttempt & { _id: Types.ObjectId };

/** Messages (one event for one endpoint) and the attempts to deliver them; reads are scoped to a workspace and endpoint. */
@Injectable()
export class OutboundMessageRepository {
  constructor(
    @InjectModel(WebhookMessage.name) private readonly messages: Model<WebhookMessage>,
    @InjectModel(WebhookAttempt.name) private readonly attempts: Model<WebhookAttempt>,
  ) {}

  /**
   * Stores one message per endpoint; a message an endpoint has already (the same id published
   * again) stays as it is. Answers the endpoints whose message this call created.
   */
  async createMessages(
    workspaceId: string,
    messages: Array<{ endpointId: string; messageId: string; eventType: string; payload: string; subjectId?: string }>,
    now: Date,
  ): Promise<Set<string>> {
    if (messages.length === 0) return new Set();
    const created = await Promise.all(
      messages.map((message) =>
        this.newMessages.load({
          ...message,
          endpointId: new Types.ObjectId(message.endpointId),
          workspaceId: new Types.ObjectId(workspaceId),
          status: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          // What Mongoose's timestamps would set (the clock is for scheduling only).
          createdAt: new Date(),
          updatedAt: new Date(),
        }),
      ),
    );
    return new Set(messages.filter((_, i) => created[i]).map((message) => message.endpointId));
  }

  /**
   * The messages published together share one unordered insert. Each answers whether it was
   * created (false: the endpoint has it already); any other error of its own fails its caller.
   */
  private readonly newMessages = new Coalescer<Record<string, unknown>, boolean>(async (docs) => {
    const outcomes = await insertEach(this.messages.collection, docs, { reportDuplicates: true });
    return outcomes.map((outcome) => (outcome === undefined ? true : isDuplicateKeyError(outcome) ? false : outcome));
  });

  async findMessage(workspaceId: string, endpointId: string, messageId: string): Promise<WebhookMessageRecord | null> {
    const message = await this.messages.findOne({ ...scope(workspaceId, endpointId), messageId }).lean<LeanMessage>().exec();
    return message ? toMessage(message) : null;
  }

  /**
   * Records the outcome of scheduled attempt `attempt`, only if no other run recorded it first
   * (a job can run twice); true for the run that did.
   */
  async recordScheduledOutcome(
    id: string,
    attempt: number,
    outcome: { status: MessageStatus; at: Date; nextAttemptAt?: Date },
  ): Promise<boolean> {
    const result = await this.messages
      .updateOne(
        { _id: new Types.ObjectId(id), status: 'pending', attempts: attempt - 1 },
        {
          $set: { status: outcome.status, attempts: attempt, lastAttemptAt: outcome.at, ...(outcome.nextAttemptAt && { nextAttemptAt: outcome.nextAttemptAt }) },
          ...(!outcome.nextAttemptAt && { $unset: { nextAttemptAt: 1 } }),
        },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /** A pending message whose endpoint stopped (disabled, deleted) fails without an attempt. */
  async abandon(id: string): Promise<void> {
    await this.messages.updateOne({ _id: new Types.ObjectId(id), status: 'pending' }, { $set: { status: 'failed' }, $unset: { nextAttemptAt: 1 } }).exec();
  }

  /** A redelivery by hand arrived: the message is delivered, and any scheduled retry stands down. */
  async markDelivered(id: string, at: Date): Promise<void> {
    await this.messages.updateOne({ _id: new Types.ObjectId(id) }, { $set: { status: 'succeeded', lastAttemptAt: at }, $unset: { nextAttemptAt: 1 } }).exec();
  }

  /** Pending messages whose attempt was due before `dueBefore` (their job should have run by now), the earliest first. */
  async findOverdue(dueBefore: Date, limit: number): Promise<WebhookMessageRecord[]> {
    const messages = await this.messages
      .find({ status: 'pending', nextAttemptAt: { $lt: dueBefore } })
      .sort({ nextAttemptAt: 1 })
      .limit(limit)
      .lean<LeanMessage[]>()
      .exec();
    return messages.map(toMessage);
  }

  /** Messages that failed for good, created at or after `since`, oldest first. */
  async findFailedSince(workspaceId: string, endpointId: string, since: Date, limit: number): Promise<WebhookMessageRecord[]> {
    const messages = await this.messages
      .find({ ...scope(workspaceId, endpointId), status: 'failed', createdAt: { $gte: since } })
      .sort({ createdAt: 1, _id: 1 })
      .limit(limit)
      .lean<LeanMessage[]>()
      .exec();
    return messages.map(toMessage);
  }

  async addAttempt(attempt: NewAttempt): Promise<void> {
    await this.attempts.create({
      ...attempt,
      endpointId: new Types.ObjectId(attempt.endpointId),
      workspaceId: new Types.ObjectId(attempt.workspaceId),
    });
  }

  /** Newest first. */
  async listAttempts(
    workspaceId: string,
    endpointId: string,
    filter: { status?: AttemptStatus },
    skip: number,
    limit: number,
  ): Promise<{ attempts: WebhookAttemptRecord[]; total: number }> {
    const query = { ...scope(workspaceId, endpointId), ...(filter.status && { status: filter.status }) };
    const [attempts, total] = await Promise.all([
      this.attempts.find(query).sort({ attemptedAt: -1, _id: -1 }).skip(skip).limit(limit).lean<LeanAttempt[]>().exec(),
      this.attempts.countDocuments(query).exec(),
    ]);
    return { attempts: attempts.map(toAttempt), total };
  }

  /** For each endpoint: its pending messages and when the earliest of them is next attempted. */
  async pendingByEndpoint(endpointIds: string[]): Promise<Map<string, { pending: number; nextAttemptAt?: Date }>> {
    if (endpointIds.length === 0) return new Map();
    const groups = await this.messages
      .aggregate<{ _id: Types.ObjectId; pending: number; nextAttemptAt: Date | null }>([
        { $match: { endpointId: { $in: endpointIds.map((id) => new Types.ObjectId(id)) }, status: 'pending' } },
        { $group: { _id: '$endpointId', pending: { $sum: 1 }, nextAttemptAt: { $min: '$nextAttemptAt' } } },
      ])
      .exec();
    return new Map(groups.map((group) => [group._id.toHexString(), { pending: group.pending, ...(group.nextAttemptAt && { nextAttemptAt: group.nextAttemptAt }) }]));
  }

  /** The endpoint's latest `limit` attempts, newest first (read through the endpoint's attemptedAt index). */
  async latestAttempts(endpointId: string, limit: number): Promise<WebhookAttemptRecord[]> {
    const attempts = await this.attempts
      .find({ endpointId: new Types.ObjectId(endpointId) })
      .sort({ attemptedAt: -1, _id: -1 })
      .limit(limit)
      .lean<LeanAttempt[]>()
      .exec();
    return attempts.map(toAttempt);
  }

  /**
   * The messages about these records (a video, its batch, a reel), the latest `limit`, oldest
   * first, without their bodies.
   */
  async findMessagesAbout(workspaceId: string, subjectIds: string[], limit: number): Promise<Array<Omit<WebhookMessageRecord, 'payload'> & { subjectId?: string }>> {
    if (subjectIds.length === 0) return [];
    const messages = await this.messages
      .find(messagesAboutQuery(workspaceId, subjectIds), { payload: 0 })
      .sort({ createdAt: -1 })
      .limit(limit)
      .lean<Array<LeanMessage & { subjectId?: string }>>()
      .exec();
    return messages.reverse().map((message) => ({ ...toMessage(message), subjectId: message.subjectId }));
  }

  /** The attempts at these messages, the latest `limit`, oldest first. */
  async findAttemptsAt(workspaceId: string, messageIds: string[], limit: number): Promise<WebhookAttemptRecord[]> {
    if (messageIds.length === 0) return [];
    const attempts = await this.attempts
      .find(attemptsAtQuery(workspaceId, messageIds))
      .sort({ attemptedAt: -1 })
      .limit(limit)
      .lean<LeanAttempt[]>()
      .exec();
    return attempts.reverse().map(toAttempt);
  }

  /** An endpoint's messages and attempts go with it. */
  async deleteForEndpoint(workspaceId: string, endpointId: string): Promise<void> {
    await Promise.all([
      this.messages.deleteMany(scope(workspaceId, endpointId)).exec(),
      this.attempts.deleteMany(scope(workspaceId, endpointId)).exec(),
    ]);
  }
}

/** The queries of the timeline's reads (exported for the index-use test). */
export function messagesAboutQuery(workspaceId: string, subjectIds: string[]) {
  return { workspaceId: new Types.ObjectId(workspaceId), subjectId: { $in: subjectIds } };
}

export function attemptsAtQuery(workspaceId: string, messageIds: string[]) {
  return { workspaceId: new Types.ObjectId(workspaceId), messageId: { $in: messageIds } };
}

function scope(workspaceId: string, endpointId: string) {
  return { workspaceId: new Types.ObjectId(workspaceId), endpointId: new Types.ObjectId(endpointId) };
}

function toMessage(message: LeanMessage): WebhookMessageRecord {
  return {
    id: message._id.toHexString(),
    messageId: message.messageId,
    endpointId: message.endpointId.toHexString(),
    workspaceId: message.workspaceId.toHexString(),
    eventType: message.eventType,
    payload: message.payload,
    status: message.status,
    attempts: message.attempts,
    nextAttemptAt: message.nextAttemptAt,
    lastAttemptAt: message.lastAttemptAt,
    createdAt: message.createdAt,
  };
}

function toAttempt(attempt: LeanAttempt): WebhookAttemptRecord {
  return {
    id: attempt._id.toHexString(),
    endpointId: attempt.endpointId.toHexString(),
    messageId: attempt.messageId,
    eventType: attempt.eventType,
    attempt: attempt.attempt,
    trigger: attempt.trigger,
    status: attempt.status,
    responseStatus: attempt.responseStatus,
    responseBody: attempt.responseBody,
    latencyMs: attempt.latencyMs,
    error: attempt.error,
    attemptedAt: attempt.attemptedAt,
    nextAttemptAt: attempt.nextAttemptAt,
  };
}
