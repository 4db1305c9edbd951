import { describe, it } from 'node:test';
import { expect } from 'expect';
import { composeConfig } from './define-config.js';
import { httpConfig } from './http.config.js';

const http = (env: Record<string, string>) => composeConfig([httpConfig], env).http;

describe('http configuration', () => {
  it('allows the local dev servers by CORS in development only, and normalises origins', () => {
    expect(http({}).corsOrigins).toEqual(['http://localhost:3000', 'http://localhost:5173']);
    expect(http({ NODE_ENV: 'production' }).corsOrigins).toEqual([]);
    expect(http({ CORS_ORIGINS: ' https://App.Example.com/ ,http://x.test:8080' }).corsOrigins)
      .toEqual(['https://app.example.com', 'http://x.test:8080']);
  });

  it('reads TRUST_PROXY as Fastify takes it', () => {
    expect(http({}).trustProxy).toBe(false);
    expect(http({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(http({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(http({ TRUST_PROXY: '10.0.0.0/8, ::1' }).trustProxy).toEqual(['10.0.0.0/8', '::1']);
  });

  it('serves /docs and drains for 5 s on SIGTERM as the environment says', () => {
    expect(http({})).toEqual(expect.objectContaining({ docsEnabled: true, shutdownReadinessDelayMs: 0 }));
    expect(http({ NODE_ENV: 'production' })).toEqual(expect.objectContaining({ docsEnabled: false, shutdownReadinessDelayMs: 5000 }));
    expect(http({ NODE_ENV: 'production', DOCS_ENABLED: 'true' }).docsEnabled).toBe(true);
  });
});
