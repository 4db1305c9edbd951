import { describe, it } from 'node:test';
import { expect } from 'expect';
import { composeConfig } from '../config/define-config.js';
import { outboundConfig } from '../outbound-url/outbound.config.js';
import { outboundWebhooksConfig } from './outbound-webhooks.config.js';

const outbound = (env: Record<string, string>) => {
  const config = composeConfig([outboundConfig, outboundWebhooksConfig], env);
  return { ...config.outbound, ...config.outboundWebhooks };
};

describe('outbound webhooks configuration', () => {
  it('gives outbound webhooks their defaults: local addresses allowed except in production', () => {
    expect(outbound({})).toEqual({ allowPrivateUrls: true, timeoutMs: 15_000, disableAfterMs: 5 * 24 * 3600_000, sweepIntervalMs: 60_000 });
    expect(outbound({ NODE_ENV: 'test' }).allowPrivateUrls).toBe(true);
    expect(outbound({ NODE_ENV: 'production' }).allowPrivateUrls).toBe(false);
    expect(outbound({ NODE_ENV: 'production', OUTBOUND_ALLOW_PRIVATE_URLS: 'true' }).allowPrivateUrls).toBe(true);
    expect(() => outbound({ OUTBOUND_TIMEOUT_MS: '10' })).toThrow(/OUTBOUND_TIMEOUT_MS/);
  });
});
