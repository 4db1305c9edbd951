import { useCallback, useEffect, useRef, useState } from 'react';
import { monitoringSummary, type MonitoringSummaryDto, webhookEventsStats, type WebhookEventStatsDto } from '../../../openapi/client/index.js';
import { api, errorMessage } from '../api.js';

/**
 * The summary and the stats of the last `windowMs`, optionally of one workspace: loaded at once,
 * every minute (the window moves with the clock), and soon after `refreshSoon` (many changes in a
 * burst make one refresh). `loadedAt` says when the numbers were last loaded in full.
 */
export function useMonitoring(windowMs: number, workspaceId: string) {
  const [summary, setSummary] = useState<MonitoringSummaryDto>();
  const [stats, setStats] = useState<WebhookEventStatsDto>();
  const [error, setError] = useState<string>();
  /** When both answers last arrived: the numbers are as of then. */
  const [loadedAt, setLoadedAt] = useState<Date>();
  const refreshTimer = useRef<number>(undefined);

  const refresh = useCallback(async () => {
    const to = new Date();
    const from = new Date(to.getTime() - windowMs);
    const answers = await Promise.all([
      monitoringSummary({ client: api, query: { from: from.toISOString(), to: to.toISOString(), ...(workspaceId && { workspaceId }) } }),
      webhookEventsStats({
        client: api,
        query: { from: from.toISOString(), to: to.toISOString(), groupBy: windowMs <= 48 * 3600_000 ? 'hour' : 'day', ...(workspaceId && { workspaceId }) },
      }),
    ]).catch(() => undefined);
    if (!answers) {
      setError('The API could not be reached');
      return;
    }
    const [s, st] = answers;
    if (s.data) setSummary(s.data.data);
    if (st.data) setStats(st.data.data);
    if (s.data && st.data) setLoadedAt(new Date());
    setError(s.error || st.error ? errorMessage(s.error ?? st.error, 'The API could not be reached') : undefined);
  }, [windowMs, workspaceId]);

  const refreshSoon = useCallback(() => {
    window.clearTimeout(refreshTimer.current);
    refreshTimer.current = window.setTimeout(() => void refresh(), 300);
  }, [refresh]);

  useEffect(() => {
    void refresh();
    const timer = window.setInterval(() => void refresh(), 60_000);
    return () => window.clearInterval(timer);
  }, [refresh]);

  return { summary, stats, error, loadedAt, refreshSoon };
}
