import { useMemo } from 'react';
import type { ChartConfiguration } from 'chart.js';
import type { WebhookEventStatsDto } from '../../../openapi/client/index.js';
import { duration } from '../format.js';
import { ChartCanvas } from './ChartCanvas.js';

const OUTCOMES = ['accepted', 'duplicate', 'conflict', 'ignored', 'rejected', 'failed'] as const;
const OUTCOME_COLORS: Record<string, string> = {
  accepted: '#17803d',
  duplicate: '#c9a227',
  conflict: '#e8590c',
  ignored: '#9aa1b1',
  rejected: '#d9534f',
  failed: '#7a1010',
};

/** The charts from the webhook event stats: volume by outcome, success rate, generation time, refusals. */
export function Charts({ stats, workspaceChosen }: { stats?: WebhookEventStatsDto; workspaceChosen: boolean }) {
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
