import { useState } from 'react';
import type { WebhookSourceDto } from '../../../openapi/client/index.js';
import { formatTime } from '../format.js';
import { changeSource, useSources, type SourceAction } from '../hooks/useSources.js';
import { ConfirmDialog } from './ConfirmDialog.js';

const NAMES: Record<WebhookSourceDto['source'], string> = { rck: 'RCK', heygen: 'HeyGen' };

const STATE_WORDS: Record<WebhookSourceDto['state'], string> = {
  active: 'Active: deliveries are applied as they arrive',
  paused: 'Paused: deliveries are verified, stored and answered, but not applied',
  resuming: 'Resuming: held deliveries are being applied in arrival order; new ones wait behind them',
};

/** The generators' webhook sources: whether each is paused, how many deliveries wait, and pause / resume behind a confirmation. */
export function Sources() {
  const { data, error, reload } = useSources();
  const [asking, setAsking] = useState<{ source: WebhookSourceDto; action: SourceAction }>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message: string; resumed?: WebhookSourceDto['source'] }>();
  // A resume runs in the background: once its source is active again, say so.
  const resumedSource = result?.resumed ? data?.find((source) => source.source === result.resumed) : undefined;
  const resumeDone = resumedSource?.state === 'active';

  const act = async () => {
    if (!asking) return;
    setBusy(true);
    const outcome = await changeSource(asking.source.source, asking.action);
    setBusy(false);
    setAsking(undefined);
    setResult({ ...outcome, ...(outcome.ok && asking.action === 'resume' && { resumed: asking.source.source }) });
    reload();
  };

  return (
    <section className="wide" data-testid="sources">
      <h2>Webhook sources</h2>
      {error && <p className="error">{error}</p>}
      {data && (
        <table>
          <thead>
            <tr>
              <th>Source</th>
              <th>State</th>
              <th>Waiting</th>
              <th>Paused</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.map((source) => (
              <tr key={source.source} data-testid={`source-${source.source}`} data-state={source.state} data-waiting={source.waiting}>
                <td>{NAMES[source.source]}</td>
                <td title={STATE_WORDS[source.state]}>{source.state}</td>
                <td data-testid={`source-${source.source}-waiting`}>{source.waiting}</td>
                <td>{source.pausedAt ? `${formatTime(source.pausedAt)} by ${source.pausedBy ?? 'unknown'}` : '—'}</td>
                <td>
                  {source.state === 'active' && source.waiting === 0 ? (
                    <button onClick={() => setAsking({ source, action: 'pause' })} data-testid={`pause-${source.source}`}>
                      Pause…
                    </button>
                  ) : source.state === 'paused' || (source.state === 'active' && source.waiting > 0) ? (
                    <button onClick={() => setAsking({ source, action: 'resume' })} data-testid={`resume-${source.source}`}>
                      Resume…
                    </button>
                  ) : (
                    <span className="muted">{source.waiting} left to apply</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {result && (
        <p className={result.ok ? 'replay-result good' : 'error'} role="status" data-testid="source-result">
          {result.message}
          {resumeDone && (
            <span data-testid="source-resume-done">
              {' '}
              — done: every held delivery was applied, and {NAMES[resumedSource.source]} is active again.
            </span>
          )}
        </p>
      )}
      {asking && (
        <ConfirmDialog
          title={asking.action === 'pause' ? `Pause ${NAMES[asking.source.source]}?` : `Resume ${NAMES[asking.source.source]}?`}
          confirmLabel={asking.action === 'pause' ? 'Pause' : 'Resume'}
          busy={busy}
          onConfirm={() => void act()}
          onCancel={() => setAsking(undefined)}
        >
          {asking.action === 'pause' ? (
            <p>
              {NAMES[asking.source.source]}'s deliveries will still be verified, stored and answered (so it stops retrying), but not applied: videos
              and reels will not change until you resume it.
            </p>
          ) : (
            <p>
              The {asking.source.waiting} held deliver{asking.source.waiting === 1 ? 'y' : 'ies'} will be applied in the order they arrived, each
              recorded as a replay; deliveries arriving meanwhile wait behind them.
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}
