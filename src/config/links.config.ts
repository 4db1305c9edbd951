import { IsOptional, IsUrl } from 'class-validator';
import { defineConfig, type ConfigType } from './define-config.js';

class LinksEnvironment {
  @IsUrl({ require_tld: false, require_protocol: true })
  SERVER_URL = 'http://localhost:5000';

  /**
   * The React app's base URL: links in e-mails and chat messages point there. Required in
   * production (a link to the wrong host is worse than none); elsewhere http://localhost:5173.
   */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'APP_URL must be an http(s) URL' })
  APP_URL?: string;
}

/**
 * Where links point, without a trailing slash: this service (the callback URLs RCK is given,
 * alerts' links) and the React app (e-mails, chat messages, outbound webhooks' hints). Shared by
 * videos, reels, outbound webhooks and alerts.
 */
export const linksConfig = defineConfig('links', LinksEnvironment, (env) => ({
  serverUrl: env.SERVER_URL.replace(/\/+$/, ''),
  appUrl: (env.APP_URL ?? 'http://localhost:5173').replace(/\/+$/, ''),
}));
export type LinksConfig = ConfigType<typeof linksConfig>;
