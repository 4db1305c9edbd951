import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toErrorResponse } from '../common/all-exceptions.filter.js';
import { ServiceUnavailableException } from '@nestjs/common';

/**
 * Where Vite writes the dashboard (`npm run build:dashboard`, part of `npm start`, `npm run build`
 * and `npm test`): dashboard/dist at the repository root, two levels above this file's dist/src/…
 */
export const DASHBOARD_DIST = resolve(import.meta.dirname, '..', '..', '..', 'dashboard', 'dist');

/**
 * Serves the dashboard's static files at /dashboard/ (/dashboard redirects there). The page needs
 * no token: it signs in with POST /api/auth/login and sends the token with every API call. Hashed
 * assets are cached for good; index.html never, so a new build is picked up at once.
 */
export function registerDashboard(instance: FastifyInstance, root = DASHBOARD_DIST): void {
  if (!existsSync(join(root, 'index.html'))) {
    const notBuilt = (_request: unknown, reply: { code(status: number): { send(body: unknown): void } }) => {
      const { status, body } = toErrorResponse(new ServiceUnavailableException('The dashboard is not built: run npm run build'));
      reply.code(status).send(body);
    };
    instance.get('/dashboard', notBuilt);
    instance.get('/dashboard/*', notBuilt);
    return;
  }
  void instance.register(fastifyStatic, {
    root,
    prefix: '/dashboard/',
    decorateReply: false,
    cacheControl: false,
    setHeaders: (res, path) => {
      res.header('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
  // (The plugin's own `redirect` option does not catch the bare prefix.)
  instance.get('/dashboard', (_request, reply) => reply.redirect('/dashboard/', 301));
}
