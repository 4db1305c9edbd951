import { useMemo } from 'react';
import type { ChartConfiguration } from 'chart.js';
import type { MonitoringSummaryDto, WebhookEventStatsDto } from '../../../openapi/client/index.js';
import { bucketName, duration, formatBucket, TIME_ZONE } from '../format.js';
import { ChartCanvas } from './ChartCanvas.js';

const OUTCOMES = ['accepted', 'duplicate', 'conflict', 'ignored', 'rejected', 'failed', 'held', 'released'] as const;
const OUTCOME_COLORS: Record<string, string> = {
  accepted: '#17803d',
  duplicate: '#c9a227',
  conflict: '#e8590c',
  ignored: '#9aa1b1',
  rejected: '#d9534f',
  failed: '#7a1010',
  held: '#5b6fd6',
  released: '#2f9e9e',
};

/**
 * The charts: deliveries per bucket by outcome (the summary's, its bucket sized to the range), the
 * videos' success rate (the counters' numbers), generation time and refusals (the event stats).
 */
export function Charts({ stats, summary, workspaceChosen }: { stats?: WebhookEventStatsDto; summary?: MonitoringSummaryDto; workspaceChosen: boolean }) {
  const volume = useMemo<ChartConfiguration | undefined>(() => {
    if (!summary) return undefined;
    const { buckets, bucketMinutes } = summary.deliveries;
    return {
      type: 'bar',
      data: {
        labels: buckets.map((bucket) => formatBucket(bucket.start, bucketMinutes)),
        datasets: OUTCOMES.map((outcome) => ({
          label: outcome,
          data: buckets.map((bucket) => bucket[outcome]),
          backgroundColor: OUTCOME_COLORS[outcome],
        })),
      },
      options: { scales: { x: { stacked: true, title: { display: true, text: TIME_ZONE } }, y: { stacked: true, beginAtZero: true } } },
    };
  }, [summary]);
  const outcomes = useMemo<ChartConfiguration | undefined>(
    () =>
      summary && {
        type: 'doughnut',
        data: {
          labels: ['completed', 'failed'],
          datasets: [{ data: [summary.videos.completed, summary.videos.failed], backgroundColor: ['#17803d', '#d9534f'] }],
        },
      },
    [summary],
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
  if (!stats || !summary || !volume || !outcomes || !generation || !refused) return null;
  // Both figures count videos created in the range, by status now: the same as the counters above.
  const { completed, failed } = summary.videos;
  const ended = completed + failed;
  const callbacks = stats.outcomes;
  return (
    <>
      <section className="wide">
        <h2>
          Deliveries per <span data-testid="bucket-size">{bucketName(summary.deliveries.bucketMinutes)}</span> by outcome ({workspaceChosen ? 'this workspace' : 'all workspaces'}; {TIME_ZONE})
        </h2>
        <ChartCanvas config={volume} label="Deliveries per period by outcome" />
      </section>
      <section>
        <h2>
          Success rate: <span data-testid="success-rate">{ended === 0 ? '—' : `${((completed / ended) * 100).toFixed(1)} %`}</span>
        </h2>
        <p className="muted" data-testid="success-rate-counts">
          Videos created in the range that have ended: {completed} completed of {ended} ({failed} failed), as counted above. Still pending or generating: not counted.
        </p>
        <ChartCanvas config={outcomes} label="Videos created in the range: completed and failed" />
        <p className="muted" data-testid="callback-rate">
          RCK and HeyGen callbacks received in the range reported {callbacks.succeeded} finished and {callbacks.failed} failed
          {callbacks.successRate === null ? '' : ` (${(callbacks.successRate * 100).toFixed(1)} % finished)`}: callbacks, not videos (a video may be created before the range, or called back twice).
        </p>
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
