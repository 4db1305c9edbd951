import { join } from 'node:path';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';
import { databaseConfig } from '../database/database.config.js';

class MailEnvironment {
  /** SMTP server for e-mail, e.g. smtp://user:pass@smtp.example.com:587. Unset: e-mails go to MAIL_OUTBOX_DIR. */
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  /**
   * Production needs SMTP_URL (its e-mails would otherwise only reach the outbox folder); `true`
   * lets it run without, knowingly (a demo on one machine; src/config/production-rules.ts).
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  ALLOW_MAIL_OUTBOX?: 'true' | 'false';

  @IsString()
  MAIL_FROM = 'videogen <no-reply@localhost>';

  /** Where e-mails are written (.eml files) when SMTP_URL is unset. Default: DATA_DIR/outbox. */
  @IsOptional()
  @IsString()
  MAIL_OUTBOX_DIR?: string;

  /** First delay before sending a failed e-mail again; doubles each time. */
  @AsNumber()
  @Min(10)
  @Max(24 * 3600_000)
  @IsInt()
  MAIL_RETRY_BACKOFF_MS = 30_000;

  /** Sends of one e-mail (the first included) before it is given up (logged). */
  @AsNumber()
  @Min(1)
  @Max(50)
  @IsInt()
  MAIL_MAX_ATTEMPTS = 6;
}

/** E-mail: SMTP when smtpUrl is set, otherwise .eml files in outboxDir (and the log). */
export const mailConfig = defineConfig('mail', MailEnvironment, (env, context) => ({
  smtpUrl: env.SMTP_URL,
  from: env.MAIL_FROM,
  outboxDir: env.MAIL_OUTBOX_DIR ?? join(context.get(databaseConfig).dataDir, 'outbox'),
  retryBackoffMs: env.MAIL_RETRY_BACKOFF_MS,
  maxAttempts: env.MAIL_MAX_ATTEMPTS,
}));
export type MailConfig = ConfigType<typeof mailConfig>;
