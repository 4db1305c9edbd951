import { useState } from 'react';
import { useLiveFeed } from '../hooks/useLiveFeed.js';
import { useMonitoring } from '../hooks/useMonitoring.js';
import { useWorkspaces } from '../hooks/useWorkspaces.js';
import { Charts } from './Charts.js';
import { CounterRow } from './CounterRow.js';
import { CustomerEndpoints } from './CustomerEndpoints.js';
import { FailureReasons } from './FailureReasons.js';
import { Incidents } from './Incidents.js';
import { Sources } from './Sources.js';
import { Feed } from './Feed.js';
import { StaleNotice } from './StaleNotice.js';
import { StuckTable } from './StuckTable.js';

const RANGES = [
  { key: '1h', label: 'Last hour', ms: 3600_000 },
  { key: '24h', label: 'Last 24 hours', ms: 24 * 3600_000 },
  { key: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600_000 },
  { key: '30d', label: 'Last 30 days', ms: 30 * 24 * 3600_000 },
] as const;
const VIDEO_STATUSES = ['pending', 'generating', 'completed', 'failed'] as const;
const REEL_STATUSES = ['requested', 'approved', 'rejected', 'processing', 'completed', 'failed'] as const;

/** The overview: counters, the live feed, the charts, stuck videos and failure reasons, for a range and optionally one workspace. */
export function Overview() {
  const [range, setRange] = useState<(typeof RANGES)[number]['key']>('24h');
  const [workspaceId, setWorkspaceId] = useState('');
  const workspaces = useWorkspaces();
  const windowMs = RANGES.find((r) => r.key === range)!.ms;
  const { summary, stats, error, loadedAt, refreshSoon } = useMonitoring(windowMs, workspaceId);
  const { feed, counters, live } = useLiveFeed(workspaceId, refreshSoon);
  const jobs = counters?.jobs ?? summary?.jobs;

  return (
    <>
      <div className="toolbar">
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
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <StaleNotice live={live} loadedAt={loadedAt} />
      <main>
        <Incidents />
        <Sources />
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
        <CustomerEndpoints />

        <Charts stats={stats} summary={summary} workspaceChosen={!!workspaceId} />
        <StuckTable summary={summary} />
        <FailureReasons summary={summary} />
      </main>
    </>
  );
}
