import { useEffect, useState } from 'react';
import { formatTime } from '../format.js';
import type { LiveState } from '../live.js';

/** Numbers not loaded for this long are stale (the page reloads them every minute). */
export const STALE_AFTER_MS = 150_000;

/**
 * Says when what the overview shows stopped updating: the live feed lost its stream (new
 * deliveries and changes no longer arrive), or the numbers have not loaded for STALE_AFTER_MS.
 */
export function StaleNotice({ live, loadedAt }: { live: { state: LiveState; lostAt?: Date }; loadedAt?: Date }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 5000);
    return () => window.clearInterval(timer);
  }, []);
  const reasons: string[] = [];
  let since: Date | undefined;
  if (live.lostAt) {
    reasons.push(live.state === 'refused' ? 'the live feed was refused' : 'the live feed is disconnected (reconnecting)');
    since = live.lostAt;
  }
  if (loadedAt && now - loadedAt.getTime() > STALE_AFTER_MS) {
    reasons.push(`the numbers have not loaded for ${Math.round((now - loadedAt.getTime()) / 60_000)} min`);
    if (!since || loadedAt < since) since = loadedAt;
  }
  if (!since) return null;
  return (
    <p className="stale" role="status" data-testid="stale">
      Stale since <span data-testid="stale-since">{formatTime(since)}</span>: {reasons.join(' and ')}. What is shown may be out of date.
    </p>
  );
}

/** A panel's failed reload: with what it still shows marked stale since it was loaded, or just the error. */
export function PanelError({ error, staleSince }: { error: string; staleSince?: Date }) {
  if (!staleSince) {
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  }
  return (
    <p className="stale panel-stale" role="status" data-testid="panel-stale">
      Stale since {formatTime(staleSince)}: it could not be loaded again ({error}).
    </p>
  );
}
