import helmet, { HelmetOptions } from 'helmet';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';

type HelmetPolicy = HelmetOptions;

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

/** The headers a policy sets, in the order helmet sets them: helmet's own middleware, run once against a response that records them. */
export function headersOf(policy: HelmetPolicy): Array<[name: string, value: string]> {
  const headers: Array<[string, string]> = [];
  const recorder = { setHeader: (name: string, value: string) => headers.push([name, value]), removeHeader: () => undefined };
  let failure: unknown;
  helmet(policy)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => (failure = error));
  if (failure) throw failure;
  return headers;
}

const SECURITY_HEADERS = 'securityHeaders';

/**
 * Security headers on every answer: the API's policy for all routes (and for answers no route
 * matched), the dashboard's and Swagger UI's on theirs. helmet builds each policy's headers once,
 * at start-up (our policies are static: no per-request nonce); a request's hook only copies them.
 * (@fastify/helmet, used before, rebuilt every helmet middleware and re-parsed the CSP on each
 * request: 2.7 % of the service's CPU on the ingest benchmark.) Call before any route is
 * registered. The headers go on the raw response, as helmet's middleware puts them, so answers
 * written straight to it (static files) carry them too.
 */
export function registerSecurityHeaders(instance: FastifyInstance): void {
  const api = headersOf(API_POLICY);
  const byPolicy = new Map([DASHBOARD_POLICY, DOCS_POLICY].map((policy) => [policy, headersOf(policy)]));
  instance.addHook('onRoute', (route) => {
    const headers = byPolicy.get(policyFor(route.url ?? route.path ?? ''));
    if (headers) route.config = Object.assign(route.config ?? {}, { [SECURITY_HEADERS]: headers });
  });
  instance.addHook('onRequest', (request, reply, done) => {
    const config = request.routeOptions.config as { [SECURITY_HEADERS]?: Array<[string, string]> } | undefined;
    for (const [name, value] of config?.[SECURITY_HEADERS] ?? api) reply.raw.setHeader(name, value);
    done();
  });
}
