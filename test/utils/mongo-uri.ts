import { randomBytes } from 'node:crypto';

/** Puts `dbName` into a MongoDB URI, keeping hosts and options (works for replica-set URIs too). */
export function withDatabase(uri: string, dbName: string): string {
  const [head, query] = uri.split('?');
  const hosts = head.replace(/^(mongodb(?:\+srv)?:\/\/[^/]+).*$/, '$1');
  return `${hosts}/${dbName}${query ? `?${query}` : ''}`;
}

export function uniqueDatabaseName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** The server test/run.ts started for this run (or MONGODB_URI). */
export function testMongoUri(): string {
  const uri = process.env.TEST_MONGODB_URI;
  if (!uri) throw new Error('TEST_MONGODB_URI is not set: run the tests with `npm test` (test/run.ts starts the database)');
  return uri;
}

/**
 * A MongoDB URI fit for a log line or an error message: whatever stands before the host's `@`
 * (user and password) becomes `***`. Conservative: a raw `@` in a password hides more, never less.
 */
export function redactUri(uri: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(uri)?.[0];
  if (!scheme) return uri.includes('@') ? '***' : uri;
  const rest = uri.slice(scheme.length);
  const query = rest.indexOf('?');
  const at = rest.lastIndexOf('@', query >= 0 ? query : rest.length);
  return at >= 0 ? `${scheme}***@${rest.slice(at + 1)}` : uri;
}

