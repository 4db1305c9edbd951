import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { Transporter } from 'nodemailer';
import { mailConfig, type MailConfig } from './mail.config.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/**
 * Sends one e-mail: over SMTP (nodemailer) when SMTP_URL is set; otherwise the message is
 * written as an .eml file to MAIL_OUTBOX_DIR and logged, so development needs no mail server and
 * nothing fails. Throws when the SMTP server refuses, so the job runner retries.
 */
@Injectable()
export class Mailer implements OnModuleDestroy {
  private readonly logger = new Logger(Mailer.name);
  private readonly smtp?: Transporter;
  /** Renders messages to bytes for the outbox. */
  private readonly renderer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  constructor(@Inject(mailConfig.KEY) private readonly config: MailConfig) {
    if (config.smtpUrl) this.smtp = nodemailer.createTransport(config.smtpUrl);
  }

  async send(message: MailMessage): Promise<void> {
    const mail = { from: this.config.from, to: message.to, subject: message.subject, text: message.text };
    if (this.smtp) {
      const info = await this.smtp.sendMail(mail);
      this.logger.log(`📧 E-mail "${message.subject}" sent to ${message.to} (${String(info.messageId)})`);
      return;
    }
    const rendered = await this.renderer.sendMail(mail);
    const dir = this.config.outboxDir;
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.eml`);
    await writeFile(file, rendered.message as Buffer);
    this.logger.log(`📧 E-mail "${message.subject}" to ${message.to} written to ${file} (SMTP_URL not set)`);
  }

  onModuleDestroy(): void {
    this.smtp?.close();
  }
}
