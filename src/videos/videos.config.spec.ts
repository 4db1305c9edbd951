import { describe, it } from 'node:test';
import { expect } from 'expect';
import { composeConfig } from '../config/define-config.js';
import { videosConfig } from './videos.config.js';

describe('videos configuration', () => {
  it('gives the RCK flow its documented defaults', () => {
    expect(composeConfig([videosConfig], {}).videos).toEqual({
      bulkMaxProducts: 1000, rckBatchSize: 50, rckTimeoutMs: 15_000, dispatchBackoffMs: 5000, dispatchMaxAttempts: 6,
      orphanTimeoutMs: 120 * 60_000, maintenanceIntervalMs: 60_000, maxRetries: 3,
      rckDescriptionServerUrl: 'http://localhost:8000', batchDigest: { afterMs: 60 * 60_000 },
    });
  });
});
