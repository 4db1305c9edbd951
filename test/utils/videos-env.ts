import { FakeRck } from './fake-rck.js';

/** Settings for the RCK flow in tests: small batches, fast retries, a short poll. */
export function videosTestEnv(rck: FakeRck, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    RCK_DESCRIPTION_SERVER_URL: rck.url,
    SERVER_URL: 'https://videogen.example.com',
    RCK_BATCH_SIZE: '3',
    BULK_GENERATE_MAX_PRODUCTS: '20',
    RCK_REQUEST_TIMEOUT_MS: '300',
    RCK_DISPATCH_BACKOFF_MS: '40',
    RCK_DISPATCH_MAX_ATTEMPTS: '3',
    JOBS_PROCESS_EVERY_MS: '50',
    VIDEO_MAINTENANCE_INTERVAL_MS: '100',
    ...overrides,
  };
}
