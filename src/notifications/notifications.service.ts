import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { JobRunner } from '../jobs/job-runner.js';
import { Mailer, MailMessage } from './mailer.js';

export const EMAIL_JOB = 'notifications.email';

/**
 * Notifications for every flow. Sending goes through the job runner: the caller only queues the
 * message (so a slow or failing mail server never fails a webhook), and a failed send is retried
 * with backoff up to MAIL_MAX_ATTEMPTS times, then logged as lost.
 */
@Injectable()
export class NotificationsService implements OnModuleInit {
  private readonly logger = new Logger('Notifications');

  constructor(
    private readonly jobs: JobRunner,
    private readonly mailer: Mailer,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const { retryBackoffMs, maxAttempts } = this.config.mail;
    this.jobs.define<MailMessage>(EMAIL_JOB, (message) => this.mailer.send(message), {
      backoff: { delayMs: retryBackoffMs, factor: 2, maxRetries: maxAttempts - 1, jitter: 0.2 },
      onFinalFailure: async (message, error) => {
        this.logger.error(`📧 E-mail "${message.subject}" to ${message.to} not sent after ${maxAttempts} attempt(s): ${error.message}`);
      },
    });
  }

  /**
   * Queues an e-mail. `key` names what it is about (e.g. `{ reelId, status }`): while one with
   * that key waits to be sent, queueing it again does nothing.
   */
  async email(message: MailMessage, key?: Record<string, unknown>): Promise<void> {
    await this.jobs.enqueue<MailMessage>(EMAIL_JOB, message, key ? { uniqueKey: key } : {});
  }
}
