import { describe, it } from 'node:test';
import { expect } from 'expect';
import { standardWebhookKey } from './standard-webhook-key.js';

describe('standardWebhookKey', () => {
  it('decodes the base64 after an optional whsec_ prefix', () => {
    const bytes = Buffer.from('0123456789abcdef');
    expect(standardWebhookKey(`whsec_${bytes.toString('base64')}`)).toEqual(bytes);
    expect(standardWebhookKey(bytes.toString('base64'))).toEqual(bytes);
    expect(standardWebhookKey('whsec_QUJD')).toEqual(Buffer.from('ABC'));
    expect(standardWebhookKey('QUI=')).toEqual(Buffer.from('AB'));
  });

  it('refuses what Node\'s decoder would only half read: other characters, a stray length, misplaced padding', () => {
    for (const secret of ['whsec_not base64!', 'test-secret-with-dashes', 'whsec_', '', 'QUJDR', 'QU=I', 'QUJD===', 'whsec_QUJD\n']) {
      expect({ secret, key: standardWebhookKey(secret) }).toEqual({ secret, key: undefined });
    }
  });
});
