import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Role } from '../common/role.enum.js';
import { errorMessage } from '../common/error-message.js';
import { chatConfig, type ChatConfig } from './chat.config.js';
import { jobsConfig, type JobsConfig } from '../jobs/jobs.config.js';
import { mailConfig, type MailConfig } from './mail.config.js';
import { outboundConfig, type OutboundConfig } from '../outbound-url/outbound.config.js';
import { JobRunner } from '../jobs/job-runner.js';
import { UserRecord, UserRepository } from '../users/user.repository.js';
import { ChatEvent, discordMessage, slackMessage } from './chat-messages.js';
import { ChatSender } from './chat.sender.js';
import { Mailer, MailMessage } from './mailer.js';
import { CHAT_CHANNELS, ChatChannel, NotificationSettingsRepository } from './notification-settings.repository.js';

export const EMAIL_JOB = 'notifications.email';
export const CHAT_JOB = 'notifications.chat';

/**
 * What every notice's job data carries besides its message, for the timeline: the records it is
 * about (a video, a reel, a batch: taken from its key) and when it was queued.
 */
interface NoticeTrace {
  about?: string[];
  queuedAt?: Date;
}

/** A chat message waiting to be sent: the body, not the URL (a secret, read when sending). */
interface ChatJobData extends NoticeTrace {
  workspaceId: string;
  channel: ChatChannel;
  title: string;
  body: object;
}

type EmailJobData = MailMessage & NoticeTrace;

/** An e-mail or chat notice about a record, as the timeline shows it. */
export interface NoticeRecord {
  id: string;
  channel: 'email' | ChatChannel;
  /** The e-mail's subject, the chat message's title. */
  title: string;
  /** The e-mail's recipient. */
  to?: string;
  /** The records it is about. */
  about: string[];
  queuedAt: Date;
  /** waiting (to be sent), sending, sent, retrying (a send failed; another is due), failed (for good). */
  state: 'waiting' | 'sending' | 'sent' | 'retrying' | 'failed';
  sentAt?: Date;
  /** Sends tried so far. */
  attempts: number;
  /** Why the last send failed. */
  error?: string;
  /** When the next send is due (waiting, retrying). */
  nextAttemptAt?: Date;
}

/** The keys of a notice that name the record it is about. */
const ABOUT_KEYS = ['videoId', 'reelId', 'batchId', 'batchDigest'];

/**
 * Notifications for every flow. Sending goes through the job runner: the caller only queues the
 * message (so a slow or failing mail server or chat never fails a webhook), and a failed send is
 * retried with backoff, then logged as lost. Each channel is its own job, so one failing channel
 * never holds up another.
 */
@Injectable()
export class NotificationsService implements OnModuleInit {
  private readonly logger = new Logger(NotificationsService.name);

  constructor(
    private readonly jobs: JobRunner,
    private readonly mailer: Mailer,
    private readonly chatSender: ChatSender,
    private readonly settings: NotificationSettingsRepository,
    @Inject(mailConfig.KEY) private readonly mailConfig: MailConfig,
    @Inject(chatConfig.KEY) private readonly chatConfig: ChatConfig,
    @Inject(jobsConfig.KEY) private readonly jobsConfig: JobsConfig,
    @Inject(outboundConfig.KEY) private readonly outboundConfig: OutboundConfig,
    private readonly users: UserRepository,
  ) {}

  onModuleInit(): void {
    const { retryBackoffMs, maxAttempts } = this.mailConfig;
    this.jobs.define<EmailJobData>(EMAIL_JOB, (message) => this.mailer.send(message), {
      backoff: { delayMs: retryBackoffMs, factor: 2, maxRetries: maxAttempts - 1, jitter: 0.2 },
      onFinalFailure: async (message, error) => {
        this.logger.error(`📧 E-mail "${message.subject}" to ${message.to} not sent after ${maxAttempts} attempt(s): ${error.message}`);
      },
    });
    const chat = this.chatConfig;
    this.jobs.define<ChatJobData>(CHAT_JOB, (job) => this.sendChat(job), {
      // A run lasts at most the request's timeout, plus the database work around it.
      lockLifetimeMs: Math.max(this.jobsConfig.lockLifetimeMs, this.outboundConfig.timeoutMs * 2),
      backoff: { delayMs: chat.retryBackoffMs, factor: 2, maxRetries: chat.maxAttempts - 1, jitter: 0.2 },
      onFinalFailure: async (job, error) => {
        this.logger.error(`${job.channel} message "${job.title}" for workspace ${job.workspaceId} not sent after ${chat.maxAttempts} attempt(s): ${error.message}`);
      },
    });
  }

  /**
   * Queues an e-mail. `key` names what it is about (e.g. `{ reelId, status }`): while one with
   * that key waits to be sent, queueing it again does nothing.
   */
  async email(message: MailMessage, key?: Record<string, unknown>, options: { once?: boolean } = {}): Promise<void> {
    const data: EmailJobData = { ...message, ...traceOf(key) };
    await this.jobs.enqueue<EmailJobData>(EMAIL_JOB, data, key ? { [options.once ? 'onceKey' : 'uniqueKey']: key } : {});
  }

  /**
   * The e-mails and chat notices queued about these records (a video, its batch, a reel), the
   * latest `limit`, oldest first: from their jobs, which say whether each was sent.
   */
  async noticesAbout(ids: string[], limit: number): Promise<NoticeRecord[]> {
    const jobs = await this.jobs.findAbout([EMAIL_JOB, CHAT_JOB], ids, limit);
    return jobs.map((job) => {
      const data = job.data as Partial<EmailJobData & ChatJobData>;
      const state: NoticeRecord['state'] =
        job.lockedAt !== null ? 'sending' : job.nextRunAt !== null ? (job.failCount > 0 ? 'retrying' : 'waiting') : job.failCount > 0 ? 'failed' : 'sent';
      return {
        id: job.id,
        channel: job.name === EMAIL_JOB ? 'email' : (data.channel ?? 'slack'),
        title: (job.name === EMAIL_JOB ? data.subject : data.title) ?? '',
        ...(job.name === EMAIL_JOB && data.to && { to: data.to }),
        about: data.about ?? [],
        queuedAt: data.queuedAt ?? new Date(parseInt(job.id.slice(0, 8), 16) * 1000),
        state,
        ...(state === 'sent' && job.lastFinishedAt && { sentAt: job.lastFinishedAt }),
        attempts: job.attempts,
        ...((state === 'retrying' || state === 'failed') && job.failReason && { error: job.failReason }),
        ...((state === 'waiting' || state === 'retrying') && job.nextRunAt && { nextAttemptAt: job.nextRunAt }),
      };
    });
  }

  /**
   * The same, unless the workspace turned e-mails about its videos and reels off; true when
   * queued. With `once`, an e-mail of that key is queued once for good (one owed by one state change).
   */
  async emailForWorkspace(workspaceId: string, message: MailMessage, key: Record<string, unknown>, options: { once?: boolean } = {}): Promise<boolean> {
    if (!(await this.settings.find(workspaceId)).emailEnabled) return false;
    await this.email(message, key, options);
    return true;
  }

  /**
   * One e-mail to each active producer of the workspace (operational news such as a disabled
   * webhook endpoint: sent whatever the workspace's e-mail setting). Answers how many were queued.
   * With `once`, each producer's e-mail of that key is queued once for good.
   */
  async emailProducers(
    workspaceId: string,
    build: (producer: UserRecord) => Omit<MailMessage, 'to'>,
    key: Record<string, unknown>,
    options: { once?: boolean } = {},
  ): Promise<number> {
    const producers = await this.users.findActiveInWorkspace(workspaceId, [Role.Producer]);
    for (const producer of producers) await this.email({ ...build(producer), to: producer.email }, { ...key, to: producer.id }, options);
    if (producers.length === 0) this.logger.warn(`Workspace ${workspaceId} has no active producer to tell: ${build({ name: '' } as UserRecord).subject}`);
    return producers.length;
  }

  /**
   * Queues the event for the workspace's Slack and Discord, one job per configured channel.
   * `key` names what it is about (one message per key while it waits). Never throws: chat is a
   * courtesy, and a failure here must not change what the caller answers.
   */
  async chat(workspaceId: string, event: ChatEvent, key: Record<string, unknown>): Promise<void> {
    try {
      await this.queueChat(workspaceId, event, key, 'uniqueKey');
    } catch (error) {
      this.logger.error(`Chat message "${event.title}" for workspace ${workspaceId} not queued: ${errorMessage(error)}`);
    }
  }

  /**
   * The same, queued once for good per key and channel however often it is asked (a notice owed
   * by one state change, paid again after a crash); throws when it could not be queued.
   */
  async chatOnce(workspaceId: string, event: ChatEvent, key: Record<string, unknown>): Promise<void> {
    await this.queueChat(workspaceId, event, key, 'onceKey');
  }

  private async queueChat(workspaceId: string, event: ChatEvent, key: Record<string, unknown>, kind: 'uniqueKey' | 'onceKey'): Promise<void> {
    const settings = await this.settings.find(workspaceId);
    for (const channel of CHAT_CHANNELS) {
      if ((channel === 'slack' ? settings.slackWebhookUrl : settings.discordWebhookUrl) === null) continue;
      const body = channel === 'slack' ? slackMessage(event) : discordMessage(event);
      await this.jobs.enqueue<ChatJobData>(CHAT_JOB, { workspaceId, channel, title: event.title, body, ...traceOf(key) }, { [kind]: { channel, workspaceId, ...key } });
    }
  }

  private async sendChat(job: ChatJobData): Promise<void> {
    // Read now: a URL removed meanwhile sends nothing, a changed one gets the message.
    const url = await this.settings.webhookUrl(job.workspaceId, job.channel);
    if (!url) return;
    await this.chatSender.post(url, job.body);
  }
}

/** What a notice's key says it is about, and the time it is queued. */
function traceOf(key: Record<string, unknown> | undefined): NoticeTrace {
  const about = ABOUT_KEYS.map((name) => key?.[name]).filter((value): value is string => typeof value === 'string');
  return { ...(about.length > 0 && { about }), queuedAt: new Date() };
}
