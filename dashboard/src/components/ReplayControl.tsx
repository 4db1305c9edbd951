import { useState } from 'react';
import { replayEvent, type ReplayOutcome } from '../hooks/useEvents.js';
import { useRouter } from '../hooks/useRoute.js';
import { describeReplay } from '../replay-words.js';
import { withParams } from '../route.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { Link } from './Link.js';

/**
 * Replay of one delivery where it could change something: it says what a replay does and asks
 * first, then (with `showOutcome`) says in words what it did, with a link to the replay's own
 * event. Where a replay would change nothing it says why instead (or, `compact`, nothing).
 */
export function ReplayControl({ eventId, replayable, reason, onReplayed, showOutcome = true, compact = false }: {
  eventId: string;
  replayable: boolean;
  reason?: string;
  onReplayed?: (outcome: ReplayOutcome) => void;
  showOutcome?: boolean;
  compact?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ReplayOutcome>();

  const replay = async () => {
    setBusy(true);
    const result = await replayEvent(eventId);
    setBusy(false);
    setAsking(false);
    setOutcome(result);
    onReplayed?.(result);
  };

  return (
    <>
      {replayable ? (
        <button onClick={() => setAsking(true)} data-testid="replay" className="replay">
          Replay…
        </button>
      ) : (
        !compact && (
          <p className="muted" data-testid="not-replayable">
            No replay offered: {reason}
          </p>
        )
      )}
      {asking && (
        <ConfirmDialog title="Replay this delivery?" confirmLabel="Replay" busy={busy} onConfirm={() => void replay()} onCancel={() => setAsking(false)}>
          <p>
            Delivery <span className="mono">{eventId}</span> will run through its handler again, decided as the same delivery arriving now would be: a
            change already made is not made twice.
          </p>
          <p>The run is recorded as a new event that names this one.</p>
        </ConfirmDialog>
      )}
      {showOutcome && outcome && <ReplayResult outcome={outcome} />}
    </>
  );
}

/** What a replay did, in words, with a link to its event. */
export function ReplayResult({ outcome }: { outcome: ReplayOutcome }) {
  const { params } = useRouter();
  return (
    <p className={`replay-result ${outcome.event?.status === 'accepted' ? 'good' : ''}`} role="status" data-testid="replay-result" data-status={outcome.event?.status ?? 'error'}>
      {describeReplay(outcome)}{' '}
      {outcome.event && (
        <Link to={withParams(params, { event: outcome.event._id })} testId="replay-event-link">
          See the replay's event
        </Link>
      )}
    </p>
  );
}
