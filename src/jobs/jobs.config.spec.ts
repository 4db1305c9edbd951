import { describe, it } from 'node:test';
import { expect } from 'expect';
import { composeConfig } from '../config/define-config.js';
import { jobsConfig } from './jobs.config.js';

const jobs = (env: Record<string, string>) => composeConfig([jobsConfig], env).jobs;

describe('jobs configuration', () => {
  it('gives the job runner its documented defaults, overridable in milliseconds', () => {
    expect(jobs({})).toEqual({ processEveryMs: 1000, lockLifetimeMs: 60_000, concurrency: 10, shutdownGraceMs: 5000 });
    expect(jobs({ JOBS_PROCESS_EVERY_MS: '50', JOBS_LOCK_LIFETIME_MS: '500', JOBS_CONCURRENCY: '3' }))
      .toEqual({ processEveryMs: 50, lockLifetimeMs: 500, concurrency: 3, shutdownGraceMs: 5000 });
  });
});
