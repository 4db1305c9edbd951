import { describe, it } from 'node:test';

/**
 * Set when `MONGODB_URI=… npm test` runs the suite on the user's MongoDB (test/run.ts): the tests
 * that need our own wire server (to stop or restart it, or the embedded default) are skipped.
 */
export const ON_EXTERNAL_MONGODB = Boolean(process.env.TEST_MONGODB_EXTERNAL);

/**
 * `describe` for tests that need our own wire server's process. On the user's MongoDB, one skipped
 * test stands in its place, named like it and giving `why`, so the report prints the reason and
 * counts it among the skipped (a skipped suite is counted in neither).
 */
export function describeOnOwnServer(name: string, why: string, fn: () => void): void {
  const skip = ownServerOnly(why);
  if (skip) it(name, { skip }, () => undefined);
  else describe(name, fn);
}

/** The `skip` option of one test that needs our own wire server's process (see describeOnOwnServer). */
export function ownServerOnly(why: string): string | false {
  return ON_EXTERNAL_MONGODB && `${why}; skipped on the MongoDB in MONGODB_URI`;
}
