import { createClient } from '../../openapi/client/client/index.js';

const TOKEN_KEY = 'videogen.dashboard.token';

/** The bearer token of this tab (sessionStorage: gone when the tab closes, never shared with others). */
export const session = {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value: string | null) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** The generated client, on this page's origin, with the session's token on every call. */
export const api = createClient({
  baseUrl: window.location.origin,
  auth: () => session.token ?? undefined,
});

/** Sent on `window` when the API refused the session's token (expired, or its account gone). */
export const SESSION_ENDED = 'videogen:session-ended';

// A 401 to a call made with the token means the token no longer works: forget it and say so, so
// the page asks to sign in again instead of showing errors on every panel.
api.interceptors.response.use((response) => {
  if (response.status === 401 && session.token) {
    session.token = null;
    window.dispatchEvent(new Event(SESSION_ENDED));
  }
  return response;
});

/** The message of an error envelope, or a fallback. */
export function errorMessage(error: unknown, fallback = 'Request failed'): string {
  // fetch's own failure (offline, refused connection) is a TypeError, "Failed to fetch": say what it means.
  if (error instanceof TypeError) return 'The API could not be reached';
  if (error && typeof error === 'object' && 'message' in error && typeof (error as { message: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return fallback;
}
