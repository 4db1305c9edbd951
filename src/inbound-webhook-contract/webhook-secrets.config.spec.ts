import { describe, it } from 'node:test';
import { expect } from 'expect';
import { ConfigValidationError } from '../config/config-validation.error.js';
import { composeConfig } from '../config/define-config.js';
import { webhookSecretsConfig } from './webhook-secrets.config.js';

const webhooks = (env: Record<string, string>) => composeConfig([webhookSecretsConfig], env).webhooks;

function problemsOf(env: Record<string, string>): string[] {
  try {
    webhooks(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('webhook secrets configuration', () => {
  it('takes several RCK secrets for a rotation, with or without whsec_, and refuses what is not base64', () => {
    const a = Buffer.from('a'.repeat(24));
    const b = Buffer.from('b'.repeat(32));
    expect(webhooks({ RCK_WEBHOOK_SECRET: `whsec_${a.toString('base64')}, ${b.toString('base64')}` }).rckKeys).toEqual([a, b]);
    expect(problemsOf({ RCK_WEBHOOK_SECRET: 'not-base64-secret-of-length' })[0]).toMatch(/^RCK_WEBHOOK_SECRET: each secret must be whsec_<base64>/);
    expect(problemsOf({ RCK_WEBHOOK_SECRET: `whsec_${Buffer.from('short').toString('base64')}` })).toHaveLength(1);
  });

  it('reads HeyGen secrets for a rotation and its signature headers in lower case', () => {
    expect(webhooks({ HEYGEN_WEBHOOK_SECRET: 'old-secret-1, new-secret-2', HEYGEN_SIGNATURE_HEADERS: 'X-Sig , Other-Sig' }))
      .toEqual({ rckKeys: [], heygenSecrets: ['old-secret-1', 'new-secret-2'], heygenSignatureHeaders: ['x-sig', 'other-sig'] });
  });
});
