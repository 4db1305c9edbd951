import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { testMongoUri } from './utils/mongo-uri.js';
import { createTestApp, TestApp } from './utils/test-app.js';

/** Security headers on every answer (issue 23): the API's strict policy, the dashboard's and Swagger UI's own. */
describe('Security headers (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const common = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };

  /** What helmet sends by default, beside what our policies set (its documented defaults). */
  const helmetDefaults = {
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
  };

  it('sends the API\'s policy on answers, errors and unknown routes alike: nothing loads, nothing frames', async () => {
    for (const response of [
      await t.http().get('/health').expect(200),
      await t.http().get('/api/videos').expect(401),
      await t.http().get('/no/such/route').expect(404),
      await t.http().post('/internal/videos/success').set('content-type', 'application/json').send('{"videoId":').expect((r) => expect(r.status).toBeGreaterThanOrEqual(400)),
    ]) {
      expect(response.headers).toEqual(expect.objectContaining({ ...common, ...helmetDefaults, 'content-security-policy': "default-src 'none';frame-ancestors 'none'" }));
      expect(response.headers['strict-transport-security']).toBeUndefined();
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('lets the dashboard load its own scripts, styles and API only, and never be framed', async () => {
    const page = await t.http().get('/dashboard/').expect(200);
    expect(page.headers).toEqual(expect.objectContaining({ ...common, ...helmetDefaults }));
    const csp = page.headers['content-security-policy'] as string;
    expect(csp.split(';')).toEqual(expect.arrayContaining(["default-src 'self'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]));
    expect(csp).not.toContain('unsafe');
  });

  it('gives Swagger UI its own policy, never framed either', async () => {
    const docs = await t.http().get('/docs').redirects(1);
    expect(docs.status).toBe(200);
    expect(docs.headers).toEqual(expect.objectContaining(common));
    const csp = docs.headers['content-security-policy'] as string;
    expect(csp.split(';')).toEqual(expect.arrayContaining(["script-src 'self'", "frame-ancestors 'none'"]));
  });
});

describe('Swagger UI in production (e2e)', () => {
  const production = (extra: Record<string, string | undefined>) => createTestApp({ env: { NODE_ENV: 'production', MONGODB_URI: testMongoUri(), ...extra } });

  it('is not served unless DOCS_ENABLED says so', async () => {
    const closed = await production({});
    try {
      expect((await closed.http().get('/docs/openapi.json').expect(404)).body.success).toBe(false);
      await closed.http().get('/docs').expect(404);
    } finally {
      await closed.close();
    }
    const open = await production({ DOCS_ENABLED: 'true' });
    try {
      expect((await open.http().get('/docs/openapi.json').expect(200)).body.openapi).toMatch(/^3\./);
    } finally {
      await open.close();
    }
  });
});
