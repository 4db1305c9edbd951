import fastifyHelmet, { FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

type HelmetPolicy = FastifyHelmetOptions;

/** Never framed, never sniffed, no referrer: what every answer carries. */
const COMMON: HelmetPolicy = {
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  // HSTS is the TLS terminator's to send (the service itself speaks plain HTTP behind it).
  hsts: false,
};

/** The JSON API: nothing in an answer may load or run anything, nor be framed. */
export const API_POLICY: HelmetPolicy = {
  ...COMMON,
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
};

/** What a page of ours may load: its own scripts, styles, images and API; no plugins, no base, never framed. */
const OWN_PAGE_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** The dashboard holds a superadmin token and has replay buttons; Vite's build has no inline script or style. */
export const DASHBOARD_POLICY: HelmetPolicy = {
  ...COMMON,
  contentSecurityPolicy: { useDefaults: false, directives: OWN_PAGE_DIRECTIVES },
};

/** Swagger UI: the same, plus the inline styles it sets. */
export const DOCS_POLICY: HelmetPolicy = {
  ...COMMON,
  contentSecurityPolicy: { useDefaults: false, directives: { ...OWN_PAGE_DIRECTIVES, styleSrc: ["'self'", "'unsafe-inline'"] } },
};

/** The policy of a route, by its path: the dashboard's, Swagger UI's, or the API's. */
export function policyFor(path: string): HelmetPolicy {
  if (path === '/dashboard' || path.startsWith('/dashboard/')) return DASHBOARD_POLICY;
  if (path === '/docs' || path.startsWith('/docs/') || path.startsWith('/docs-')) return DOCS_POLICY;
  return API_POLICY;
}

/**
 * Security headers on every answer through @fastify/helmet, configured per route: the API's
 * policy for all routes (and for answers no route matched), the dashboard's and Swagger UI's on
 * theirs (each route's `config.helmet`, read by the plugin when a request arrives). Call before
 * any route is registered.
 */
export function registerSecurityHeaders(instance: FastifyInstance): void {
  instance.addHook('onRoute', (route) => {
    const policy = policyFor(route.url ?? route.path ?? '');
    if (policy !== API_POLICY) route.config = Object.assign(route.config ?? {}, { helmet: policy });
  });
  void instance.register(fastifyHelmet, { global: true, ...API_POLICY });
}
