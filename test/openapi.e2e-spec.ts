import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './utils/paths.js';
import { createTestApp, TestApp } from './utils/test-app.js';

const ROOT = REPO_ROOT;
const SCRIPT = join(ROOT, 'dist', 'tools', 'openapi.js');
const DOCUMENT = join(ROOT, 'openapi', 'openapi.json');
const CLIENT = join(ROOT, 'openapi', 'client');
const run = promisify(execFile);

describe('API document and Swagger UI', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('serves Swagger UI at /docs with bearer authorization', async () => {
    const page = await t.http().get('/docs').redirects(1).expect(200);
    expect(page.text).toContain('swagger-ui');
    const document = await t.http().get('/docs/openapi.json').expect(200);
    expect(document.body.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(document.body.paths['/api/workspaces'].post.security).toEqual([{ bearer: [] }]);
    expect(document.body.paths['/api/auth/login'].post.security).toBeUndefined();
  });

  describe('the committed document (npm run openapi:check)', () => {
    beforeAll(() => {
      if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run \`npm run build\` (npm test does)`);
    });

    it('describes the routes, the envelope and the DTO fields derived by the CLI plugin', () => {
      const document = JSON.parse(readFileSync(DOCUMENT, 'utf8'));
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining(['/health', '/api/auth/login', '/api/products', '/api/products/{id}', '/api/workspaces', '/api/users']),
      );
      expect(document.paths['/api/auth/login'].post.operationId).toBe('authLogin');
      // Fields only the plugin (classValidatorShim) can describe: required, formats, limits.
      expect(document.components.schemas.LoginDto.required).toEqual(expect.arrayContaining(['email', 'password']));
      expect(document.components.schemas.CreateUserDto.properties.password.minLength).toBe(12);
      expect(document.components.schemas.MeResponseDto.required).toEqual(expect.arrayContaining(['userId', 'email', 'role']));
      expect(document.paths['/api/auth/login'].post.responses['429'].headers['Retry-After']).toBeDefined();
      const ok = document.paths['/api/products/{id}'].get.responses['200'].content['application/json'].schema;
      expect(ok.properties.data).toEqual({ $ref: '#/components/schemas/ProductResponseDto' });
      expect(document.paths['/api/products/{id}'].get.responses['404'].content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/ErrorEnvelopeDto',
      });
    });

    it('describes every tag, says a webhook 401 is about the signature, and gives examples of the right type', () => {
      const document = JSON.parse(readFileSync(DOCUMENT, 'utf8'));
      const used = new Set<string>();
      for (const operations of Object.values(document.paths) as Array<Record<string, { tags?: string[] }>>) {
        for (const operation of Object.values(operations)) for (const tag of operation.tags ?? []) used.add(tag);
      }
      const described = new Map((document.tags as Array<{ name: string; description?: string }>).map((tag) => [tag.name, tag.description]));
      expect([...used].filter((tag) => !described.get(tag))).toEqual([]);

      for (const path of ['/internal/videos/success', '/internal/videos/failure', '/api/webhook/heygen']) {
        const unauthorized = document.paths[path].post.responses['401'].description as string;
        expect(unauthorized).toMatch(/signature/);
        expect(unauthorized).not.toMatch(/^Missing or invalid bearer token$/);
      }
      expect(document.paths['/api/videos/bulk-generate'].post.responses['401'].description).toBe('Missing or invalid bearer token');

      const productIds = document.components.schemas.BulkGenerateDto.properties.productIds;
      expect(productIds.type).toBe('array');
      expect(Array.isArray(productIds.example)).toBe(true);

      for (const schema of ['VideoResponseDto', 'ReelResponseDto', 'WebhookEventResponseDto']) {
        expect(document.components.schemas[schema].required).toEqual(expect.arrayContaining(['id', '_id']));
      }
    });

    it('passes for the committed files and fails for a stale document or client', { timeout: 120_000 }, async () => {
      await expect(run(process.execPath, [SCRIPT, '--check'], { cwd: ROOT })).resolves.toBeDefined();

      const scratch = mkdtempSync(join(tmpdir(), 'openapi-stale-'));
      try {
        const staleDocument = join(scratch, 'openapi.json');
        const stale = JSON.parse(readFileSync(DOCUMENT, 'utf8'));
        delete stale.paths['/api/products'];
        writeFileSync(staleDocument, JSON.stringify(stale, null, 2));
        await expect(run(process.execPath, [SCRIPT, '--check', staleDocument, CLIENT], { cwd: ROOT })).rejects.toMatchObject({
          code: 1,
          stderr: expect.stringContaining('openapi.json differs from the code'),
        });

        const staleClient = join(scratch, 'client');
        await run('cp', ['-r', CLIENT, staleClient]);
        writeFileSync(join(staleClient, 'sdk.gen.ts'), '// edited by hand\n');
        copyFileSync(DOCUMENT, staleDocument);
        await expect(run(process.execPath, [SCRIPT, '--check', staleDocument, staleClient], { cwd: ROOT })).rejects.toMatchObject({
          code: 1,
          stderr: expect.stringContaining('sdk.gen.ts differs from the generated client'),
        });
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });
  });
});
