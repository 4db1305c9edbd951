import { IsIn } from 'class-validator';
import { defineConfig, NODE_ENVS, NodeEnv, type ConfigType } from './define-config.js';

class RuntimeEnvironment {
  @IsIn(NODE_ENVS)
  NODE_ENV: NodeEnv = 'development';
}

/** Which kind of deployment this is; every slice also gets it in its context (src/config/define-config.ts). */
export const runtimeConfig = defineConfig('runtime', RuntimeEnvironment, (env) => ({
  nodeEnv: env.NODE_ENV,
  isProduction: env.NODE_ENV === 'production',
}));
export type RuntimeConfig = ConfigType<typeof runtimeConfig>;
