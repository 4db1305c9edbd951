import { useState } from 'react';
import { type EventFilters, replayMatching, replayPreview } from '../hooks/useEvents.js';
import { ConfirmDialog } from './ConfirmDialog.js';

/** The statuses whose deliveries a replay can change something for. */
const FAILURES = ['failed', 'rejected', 'ignored'];

/**
 * Replays every failure matching the explorer's filters: the status filter when it names a
 * failure, otherwise the failed ones (5xx). The count comes first, from the API, and is confirmed.
 */
export function BulkReplay({ filters, onQueued }: { filters: EventFilters; onQueued: () => void }) {
  const [preview, setPreview] = useState<{ replayable: number; max: number }>();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string>();
  const status = filters.status ?? 'failed';
  if (!FAILURES.includes(status)) {
    return <p className="muted">Bulk replay takes failures: filter by status failed, rejected or ignored.</p>;
  }
  const target = { ...filters, status };

  const ask = async () => {
    setMessage(undefined);
    const answer = await replayPreview(target);
    if ('error' in answer) setMessage(answer.error);
    else setPreview(answer);
  };
  const replay = async () => {
    setBusy(true);
    const answer = await replayMatching(target);
    setBusy(false);
    setPreview(undefined);
    setMessage('error' in answer ? answer.error : `Queued ${answer.queued} ${status} ${answer.queued === 1 ? 'delivery' : 'deliveries'} for replay, oldest first. Each replay is recorded as a new event naming its original.`);
    onQueued();
  };

  return (
    <div className="bulk">
      <button onClick={() => void ask()} data-testid="bulk-replay">
        Replay the {status} deliveries matching these filters…
      </button>
      {message && (
        <p role="status" data-testid="bulk-result">
          {message}
        </p>
      )}
      {preview && (
        <ConfirmDialog
          title={`Replay ${preview.replayable} ${status} ${preview.replayable === 1 ? 'delivery' : 'deliveries'}?`}
          confirmLabel={`Replay ${preview.replayable}`}
          busy={busy || preview.replayable === 0 || preview.replayable > preview.max}
          onConfirm={() => void replay()}
          onCancel={() => setPreview(undefined)}
        >
          <p data-testid="bulk-count">
            {preview.replayable === 0
              ? 'No delivery matching these filters can be replayed.'
              : preview.replayable > preview.max
                ? `${preview.replayable} match, more than the ${preview.max} one bulk replay takes: narrow the filters (from / to).`
                : `${preview.replayable} ${status} ${preview.replayable === 1 ? 'delivery' : 'deliveries'} matching these filters will run through their handlers again, in the background, oldest first.`}
          </p>
          <p>Those whose signature did not verify, or whose body was not JSON, are left out. Each is decided as it would be if it arrived now.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
