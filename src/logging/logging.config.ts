import { IsIn } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

class LoggingEnvironment {
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';
}

/** The root logger (logging.ts): its level, and readable lines in development instead of JSON. */
export const loggingConfig = defineConfig('logging', LoggingEnvironment, (env, { nodeEnv }) => ({
  level: env.LOG_LEVEL,
  pretty: nodeEnv === 'development',
}));
export type LoggingConfig = ConfigType<typeof loggingConfig>;
