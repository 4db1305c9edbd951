import { describe, it } from 'node:test';
import { expect } from 'expect';
import { composeConfig } from '../config/define-config.js';
import { webhookSecretsConfig } from '../inbound-webhook-contract/webhook-secrets.config.js';
import { loggingConfig } from './logging.config.js';
import { createRootLogger, PinoLoggerService } from './logging.js';

function capture() {
  const lines: Array<Record<string, any>> = [];
  return { lines, write: (chunk: string) => lines.push(JSON.parse(chunk)) };
}

/** The slices the root logger reads, from environment variables as the service gets them. */
const loggerConfig = (env: Record<string, string>) => composeConfig([loggingConfig, webhookSecretsConfig], env);

describe('logging', () => {
  const config = loggerConfig({ NODE_ENV: 'test', LOG_LEVEL: 'debug' });

  it('redacts credentials wherever they appear in a logged object', () => {
    const out = capture();
    createRootLogger(config, out).info(
      {
        req: { headers: { authorization: 'Bearer abc.def', 'x-heygen-signature': 'deadbeef', host: 'x' } },
        body: { email: 'a@b.co', password: 'hunter2-long', accessToken: 'tok' },
        endpoint: { secret: 'whsec_123' },
      },
      'something happened',
    );
    expect(out.lines[0]).toEqual(expect.objectContaining({
      req: { headers: { authorization: '[REDACTED]', 'x-heygen-signature': '[REDACTED]', host: 'x' } },
      body: { email: 'a@b.co', password: '[REDACTED]', accessToken: '[REDACTED]' },
      endpoint: { secret: '[REDACTED]' },
    }));
  });

  it('redacts the signature headers named in HEYGEN_SIGNATURE_HEADERS, beside the default ones', () => {
    const out = capture();
    const custom = loggerConfig({ NODE_ENV: 'test', HEYGEN_SIGNATURE_HEADERS: 'X-Custom-Sig' });
    createRootLogger(custom, out).info({ req: { headers: { 'x-custom-sig': 'cafe01', 'x-heygen-signature': 'beef02', host: 'x' } } }, 'delivery');
    expect(out.lines[0].req.headers).toEqual({ 'x-custom-sig': '[REDACTED]', 'x-heygen-signature': '[REDACTED]', host: 'x' });
  });

  it('maps Nest log calls to pino levels with their context', () => {
    const out = capture();
    const logger = new PinoLoggerService(createRootLogger(config, out));
    logger.log('started', 'Bootstrap');
    logger.warn({ videoId: 'v1' }, 'late delivery', 'RckWebhooksController');
    logger.error('failed', 'stack trace here', 'VideoDispatchService');
    expect(out.lines.map(({ level, msg, context }) => ({ level, msg, context }))).toEqual([
      { level: 30, msg: 'started', context: 'Bootstrap' },
      { level: 40, msg: 'late delivery', context: 'RckWebhooksController' },
      { level: 50, msg: 'failed', context: 'VideoDispatchService' },
    ]);
    expect(out.lines[1].videoId).toBe('v1');
    expect(out.lines[2].stack).toBe('stack trace here');
  });
});
