import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ChartConfiguration } from 'chart.js';
import {
  authLogin,
  authMe,
  type MeResponseDto,
  monitoringSummary,
  type MonitoringSummaryDto,
  type StreamCountersDto,
  type StreamDeliveryDto,
  webhookEventsFindOne,
  webhookEventsList,
  webhookEventsReplay,
  webhookEventsStats,
  type WebhookEventStatsDto,
  workspacesList,
  type WorkspaceResponseDto,
} from '../../openapi/client/index.js';
import { api, errorMessage, session } from './api.js';
import { ChartCanvas } from './Chart.js';
import { followStream, type LiveState } from './live.js';

const RANGES = [
  { key: '1h', label: 'Last hour', ms: 3600_000 },
  { key: '24h', label: 'Last 24 hours', ms: 24 * 3600_000 },
  { key: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600_000 },
  { key: '30d', label: 'Last 30 days', ms: 30 * 24 * 3600_000 },
] as const;
const VIDEO_STATUSES = ['pending', 'generating', 'completed', 'failed'] as const;
const REEL_STATUSES = ['requested', 'approved', 'rejected', 'processing', 'completed', 'failed'] as const;
const OUTCOMES = ['accepted', 'duplicate', 'conflict', 'ignored', 'rejected', 'failed'] as const;
const OUTCOME_COLORS: Record<string, string> = {
  accepted: '#17803d',
  duplicate: '#c9a227',
  conflict: '#e8590c',
  ignored: '#9aa1b1',
  rejected: '#d9534f',
  failed: '#7a1010',
};
const FEED_MAX = 200;

/** A row of the live feed: from the event log at first, then from the stream. */
interface FeedItem {
  id: string;
  createdAt: string;
  source: string;
  eventType?: string;
  videoId?: string;
  status: string;
  httpStatus: number;
  durationMs: number;
}

export function App() {
  const [me, setMe] = useState<MeResponseDto | null>(null);
  const [checking, setChecking] = useState(!!session.token);

  useEffect(() => {
    if (!session.token) return;
    void authMe({ client: api }).then(({ data }) => {
      if (data) setMe(data.data);
      else session.token = null;
      setChecking(false);
    });
  }, []);

  const signOut = () => {
    session.token = null;
    setMe(null);
  };

  if (checking) return <p className="muted">Loading…</p>;
  if (!me) return <Login onSignedIn={setMe} />;
  if (me.role !== 'superadmin') {
    return (
      <div className="refused" role="alert" data-testid="refused">
        <h2>Access refused</h2>
        <p>
          The monitoring dashboard is for superadmins. You are signed in as <strong>{me.email}</strong> ({me.role}).
        </p>
        <button onClick={signOut}>Sign out</button>
      </div>
    );
  }
  return <Dashboard me={me} onSignOut={signOut} />;
}

function Login({ onSignedIn }: { onSignedIn: (me: MeResponseDto) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const login = await authLogin({ client: api, body: { email, password } });
    if (!login.data) {
      setBusy(false);
      setError(errorMessage(login.error, 'Sign-in failed'));
      return;
    }
    session.token = login.data.data.accessToken;
    const current = await authMe({ client: api });
    setBusy(false);
    if (current.data) onSignedIn(current.data.data);
    else setError(errorMessage(current.error, 'Sign-in failed'));
  };

  return (
    <form className="login" onSubmit={submit}>
      <h2>videogen monitoring</h2>
      <label>
        E-mail
        <input name="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
      </label>
      <button type="submit" disabled={busy}>
        Sign in
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function Dashboard({ me, onSignOut }: { me: MeResponseDto; onSignOut: () => void }) {
  const [range, setRange] = useState<(typeof RANGES)[number]['key']>('24h');
  const [workspaceId, setWorkspaceId] = useState('');
  const [workspaces, setWorkspaces] = useState<WorkspaceResponseDto[]>([]);
  const [summary, setSummary] = useState<MonitoringSummaryDto>();
  const [stats, setStats] = useState<WebhookEventStatsDto>();
  const [counters, setCounters] = useState<StreamCountersDto>();
  const [feed, setFeed] = useState<FeedItem[]>([]);
  /** The stream's state, and the workspace it follows ('' for all). */
  const [live, setLive] = useState<{ state: LiveState; detail?: string; workspaceId: string }>({ state: 'connecting', workspaceId: '' });
  const [error, setError] = useState<string>();
  const refreshTimer = useRef<number>(undefined);

  const windowMs = RANGES.find((r) => r.key === range)!.ms;

  const refresh = useCallback(async () => {
    const to = new Date();
    const from = new Date(to.getTime() - windowMs);
    const [s, st] = await Promise.all([
      monitoringSummary({ client: api, query: { from: from.toISOString(), to: to.toISOString(), ...(workspaceId && { workspaceId }) } }),
      webhookEventsStats({
        client: api,
        query: { from: from.toISOString(), to: to.toISOString(), groupBy: windowMs <= 48 * 3600_000 ? 'hour' : 'day', ...(workspaceId && { workspaceId }) },
      }),
    ]);
    if (s.data) setSummary(s.data.data);
    if (st.data) setStats(st.data.data);
    setError(s.error || st.error ? errorMessage(s.error ?? st.error) : undefined);
  }, [windowMs, workspaceId]);

  /** Many changes in a burst make one refresh. */
  const refreshSoon = useCallback(() => {
    window.clearTimeout(refreshTimer.current);
    refreshTimer.current = window.setTimeout(() => void refresh(), 300);
  }, [refresh]);

  useEffect(() => {
    void workspacesList({ client: api, query: { limit: 100 } }).then(({ data }) => data && setWorkspaces(data.data.workspaces));
  }, []);

  useEffect(() => {
    void refresh();
    // The window moves with the clock even when nothing happens.
    const timer = window.setInterval(() => void refresh(), 60_000);
    return () => window.clearInterval(timer);
  }, [refresh]);

  // The latest deliveries first (of the chosen workspace: the event log stores each delivery's), then the stream's.
  useEffect(() => {
    setFeed([]);
    let current = true;
    void webhookEventsList({ client: api, query: { limit: 50, ...(workspaceId && { workspaceId }) } }).then(({ data }) => {
      if (!data || !current) return;
      const initial = data.data.events.map((e) => ({ ...e, id: e._id }));
      setFeed((shown) => mergeFeed(shown, initial));
    });
    return () => {
      current = false;
    };
  }, [workspaceId]);

  useEffect(() => {
    setCounters(undefined);
    return followStream(workspaceId || undefined, {
      onDelivery: (delivery: StreamDeliveryDto) => {
        setFeed((current) => mergeFeed(current, [delivery]));
        refreshSoon();
      },
      onCounters: (next) => {
        setCounters(next);
        refreshSoon();
      },
      onState: (state, detail) => setLive({ state, detail, workspaceId }),
    });
  }, [workspaceId, refreshSoon]);

  const jobs = counters?.jobs ?? summary?.jobs;

  return (
    <>
      <header>
        <h1>videogen monitoring</h1>
        <label>
          Range{' '}
          <select value={range} onChange={(e) => setRange(e.target.value as typeof range)} data-testid="range">
            {RANGES.map((r) => (
              <option key={r.key} value={r.key}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Workspace{' '}
          <select value={workspaceId} onChange={(e) => setWorkspaceId(e.target.value)} data-testid="workspace">
            <option value="">All workspaces</option>
            {workspaces.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <span className={`live live-${live.state}`} data-testid="live-state" data-workspace={live.workspaceId} title={live.detail}>
          {live.state}
        </span>
        <span>{me.email}</span>
        <button onClick={onSignOut}>Sign out</button>
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <main>
        <section className="wide" data-testid="counters" data-from={summary?.from} data-to={summary?.to}>
          <h2>Created in the range, by status now</h2>
          <CounterRow title="Videos" statuses={VIDEO_STATUSES} values={summary?.videos} prefix="videos" />
          <CounterRow title="Reels" statuses={REEL_STATUSES} values={summary?.reels} prefix="reels" />
          <h2>Jobs now (all workspaces)</h2>
          <CounterRow title="Jobs" statuses={['waiting', 'running', 'failed']} values={jobs} prefix="jobs" />
        </section>

        <section className="wide">
          <h2>Live deliveries</h2>
          <Feed items={feed} />
        </section>

        <Charts stats={stats} workspaceChosen={!!workspaceId} />

        <section>
          <h2>Stuck longest in generating</h2>
          <table data-testid="stuck">
            <thead>
              <tr>
                <th>Video</th>
                <th>Template</th>
                <th>Sent to RCK</th>
                <th>For</th>
              </tr>
            </thead>
            <tbody>
              {summary?.stuckGenerating.map((v) => (
                <tr key={v.videoId}>
                  <td>{v.videoId}</td>
                  <td>{v.template}</td>
                  <td>{new Date(v.dispatchedAt).toLocaleString()}</td>
                  <td>{duration(v.generatingForMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {summary && summary.stuckGenerating.length === 0 && <p className="muted">No video is generating.</p>}
        </section>

        <section>
          <h2>Most frequent failure reasons</h2>
          <table data-testid="failures">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Reason</th>
                <th>Count</th>
              </tr>
            </thead>
            <tbody>
              {summary?.failureReasons.map((f) => (
                <tr key={`${f.kind}:${f.reason}`}>
                  <td>{f.kind}</td>
                  <td>{f.reason}</td>
                  <td>{f.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {summary && summary.failureReasons.length === 0 && <p className="muted">No failures in the range.</p>}
        </section>
      </main>
    </>
  );
}

function CounterRow({ title, statuses, values, prefix }: { title: string; statuses: readonly string[]; values?: object; prefix: string }) {
  return (
    <div className="counters" aria-label={title}>
      {statuses.map((status) => (
        <div className="counter" key={status}>
          <div className="label">
            {title}: {status}
          </div>
          <div className="value" data-testid={`${prefix}-${status}`}>
            {values ? String((values as Record<string, number>)[status] ?? 0) : '…'}
          </div>
        </div>
      ))}
    </div>
  );
}

function Feed({ items }: { items: FeedItem[] }) {
  const [shown, setShown] = useState<{ title: string; body: unknown }>();

  const view = async (id: string) => {
    const { data, error } = await webhookEventsFindOne({ client: api, path: { id } });
    setShown({ title: `Event ${id}`, body: data ? data.data : error });
  };
  const replay = async (id: string) => {
    const { data, error } = await webhookEventsReplay({ client: api, path: { id } });
    setShown({ title: `Replay of ${id}`, body: data ?? error });
  };

  return (
    <>
      <div className="feed">
        <table data-testid="feed">
          <thead>
            <tr>
              <th>Time</th>
              <th>Source</th>
              <th>Event</th>
              <th>Video</th>
              <th>Outcome</th>
              <th>Duration</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.id} data-testid="feed-row" data-event-id={item.id} data-video-id={item.videoId ?? ''}>
                <td>{new Date(item.createdAt).toLocaleTimeString()}</td>
                <td>{item.source}</td>
                <td>{item.eventType ?? '—'}</td>
                <td>{item.videoId ?? '—'}</td>
                <td className={`outcome-${item.status}`}>
                  {item.status} ({item.httpStatus})
                </td>
                <td>{item.durationMs} ms</td>
                <td>
                  <button className="link" onClick={() => void view(item.id)}>
                    event
                  </button>{' '}
                  <button className="link" onClick={() => void replay(item.id)}>
                    replay
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {items.length === 0 && <p className="muted">No deliveries yet.</p>}
      </div>
      {shown && (
        <div data-testid="event-detail">
          <h2>
            {shown.title}{' '}
            <button className="link" onClick={() => setShown(undefined)}>
              close
            </button>
          </h2>
          <pre>{JSON.stringify(shown.body, null, 2)}</pre>
        </div>
      )}
    </>
  );
}

function Charts({ stats, workspaceChosen }: { stats?: WebhookEventStatsDto; workspaceChosen: boolean }) {
  const volume = useMemo<ChartConfiguration | undefined>(() => {
    if (!stats) return undefined;
    const periods = allPeriods(stats);
    const byPeriod = new Map(stats.volume.map((p) => [p.period, p]));
    return {
      type: 'bar',
      data: {
        labels: periods,
        datasets: OUTCOMES.map((outcome) => ({
          label: outcome,
          data: periods.map((period) => byPeriod.get(period)?.[outcome] ?? 0),
          backgroundColor: OUTCOME_COLORS[outcome],
        })),
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    };
  }, [stats]);
  const outcomes = useMemo<ChartConfiguration | undefined>(
    () =>
      stats && {
        type: 'doughnut',
        data: {
          labels: ['videos finished', 'videos failed'],
          datasets: [{ data: [stats.outcomes.succeeded, stats.outcomes.failed], backgroundColor: ['#17803d', '#d9534f'] }],
        },
      },
    [stats],
  );
  const generation = useMemo<ChartConfiguration | undefined>(
    () =>
      stats && {
        type: 'bar',
        data: {
          labels: ['average', 'p95'],
          datasets: [{ label: 'seconds', data: [stats.generationTime.averageMs, stats.generationTime.p95Ms].map((ms) => (ms ?? 0) / 1000), backgroundColor: '#1f5fbf' }],
        },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
      },
    [stats],
  );
  const refused = useMemo<ChartConfiguration | undefined>(
    () =>
      stats && {
        type: 'bar',
        data: {
          labels: stats.refused.map((r) => r.source),
          datasets: [{ label: 'refused', data: stats.refused.map((r) => r.total), backgroundColor: '#d9534f' }],
        },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
      },
    [stats],
  );
  if (!stats || !volume || !outcomes || !generation || !refused) return null;
  const rate = stats.outcomes.successRate;
  return (
    <>
      <section className="wide">
        <h2>
          Deliveries per {stats.groupBy} by outcome ({workspaceChosen ? 'this workspace' : 'all workspaces'})
        </h2>
        <ChartCanvas config={volume} label="Deliveries per period by outcome" />
      </section>
      <section>
        <h2>
          Success rate: <span data-testid="success-rate">{rate === null ? '—' : `${(rate * 100).toFixed(1)} %`}</span>
        </h2>
        <ChartCanvas config={outcomes} label="Videos finished and failed" />
      </section>
      <section>
        <h2>
          Generation time ({stats.generationTime.videos} videos): average <span data-testid="generation-avg">{duration(stats.generationTime.averageMs)}</span>, p95{' '}
          <span data-testid="generation-p95">{duration(stats.generationTime.p95Ms)}</span>
        </h2>
        <ChartCanvas config={generation} label="Generation time" />
      </section>
      <section>
        <h2>
          Refused deliveries per source: <span data-testid="refused-total">{stats.refused.reduce((sum, r) => sum + r.total, 0)}</span>
        </h2>
        {workspaceChosen && <p className="muted">A refused delivery has no workspace (it was refused before its video was known): see all workspaces.</p>}
        <ChartCanvas config={refused} label="Refused deliveries per source" />
      </section>
    </>
  );
}

/** Every hour or day of the window (the stats leave out periods without deliveries), as the API names them (UTC). */
function allPeriods(stats: WebhookEventStatsDto): string[] {
  const length = stats.groupBy === 'hour' ? 13 : stats.groupBy === 'day' ? 10 : 0;
  if (length === 0) return stats.volume.map((p) => p.period);
  const step = stats.groupBy === 'hour' ? 3600_000 : 24 * 3600_000;
  const periods: string[] = [];
  for (let at = Math.floor(Date.parse(stats.from) / step) * step; at < Date.parse(stats.to); at += step) {
    periods.push(new Date(at).toISOString().slice(0, length));
  }
  return periods;
}

/** Newest first, each event once, at most FEED_MAX. */
function mergeFeed(current: FeedItem[], incoming: FeedItem[]): FeedItem[] {
  const byId = new Map(current.map((item) => [item.id, item]));
  for (const item of incoming) byId.set(item.id, item);
  return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)).slice(0, FEED_MAX);
}

function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = s / 60;
  return m < 120 ? `${m.toFixed(1)} min` : `${(m / 60).toFixed(1)} h`;
}
