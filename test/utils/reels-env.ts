import { FakeHeygen } from './fake-heygen.js';
import { SmtpSink } from './smtp-sink.js';

/** Settings for the HeyGen flow in tests: the fakes, fast retries and a short reconciliation interval. */
export function reelsTestEnv(heygen: FakeHeygen, smtp: SmtpSink, overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    HEYGEN_API_URL: heygen.url,
    SERVER_URL: 'https://videogen.example.com',
    // Long enough that a loaded machine does not time out a call HeyGen answers (the retry would
    // then have to find its video in HeyGen's list); 'hang' tests wait this long.
    HEYGEN_REQUEST_TIMEOUT_MS: '2000',
    HEYGEN_GENERATE_BACKOFF_MS: '40',
    HEYGEN_GENERATE_MAX_ATTEMPTS: '4',
    HEYGEN_RECONCILE_INTERVAL_MS: '100',
    HEYGEN_RECONCILE_AFTER_MINUTES: '30',
    SMTP_URL: smtp.url,
    MAIL_FROM: 'videogen <reels@videogen.example.com>',
    MAIL_RETRY_BACKOFF_MS: '40',
    CHAT_RETRY_BACKOFF_MS: '40',
    ...overrides,
  };
}
