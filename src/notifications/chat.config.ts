import { IsInt, Max, Min } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';

class ChatEnvironment {
  /** First delay before a failed Slack or Discord message is sent again; doubles each time. */
  @AsNumber()
  @Min(10)
  @Max(24 * 3600_000)
  @IsInt()
  CHAT_RETRY_BACKOFF_MS = 30_000;

  /** Sends of one Slack or Discord message (the first included) before it is given up (logged). */
  @AsNumber()
  @Min(1)
  @Max(50)
  @IsInt()
  CHAT_MAX_ATTEMPTS = 6;
}

/** Slack and Discord messages: retries of a failed send (notifications' and alerts'). */
export const chatConfig = defineConfig('chat', ChatEnvironment, (env) => ({
  retryBackoffMs: env.CHAT_RETRY_BACKOFF_MS,
  maxAttempts: env.CHAT_MAX_ATTEMPTS,
}));
export type ChatConfig = ConfigType<typeof chatConfig>;
