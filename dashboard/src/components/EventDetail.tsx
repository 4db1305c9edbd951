import type { ReactNode } from 'react';
import { useEvent } from '../hooks/useEvents.js';
import { useRouter } from '../hooks/useRoute.js';
import { duration, formatTime } from '../format.js';
import { search, withParams } from '../route.js';
import { Fields } from './Fields.js';
import { Link } from './Link.js';
import { DeliverySubject } from './RecordLink.js';
import { ReplayControl } from './ReplayControl.js';

/** Headers a webhook carries its credentials in: never stored, so never shown (src/common/secret-headers.ts). */
const NEVER_STORED = 'Signatures, tokens, cookies and keys (webhook-signature, x-heygen-signature, authorization, …) are never stored.';

function Row({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="field">
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

/**
 * One delivery, beside whichever view is open (`event=<id>` in the query string): what arrived,
 * how it was decided, the request (headers as stored: secrets never are) and our answer, as
 * readable fields; a replay where it could change something, else why not.
 */
export function EventDetail({ id }: { id: string }) {
  const { params, navigate } = useRouter();
  const { data: event, error, reload } = useEvent(id);
  const close = () => navigate(withParams(params, { event: undefined }));

  return (
    <aside className="drawer" data-testid="event-detail" data-event-id={id} aria-label={`Delivery ${id}`}>
      <div className="drawer-head">
        <h2>Delivery {id}</h2>
        <button className="link" onClick={close} data-testid="close-detail">
          close
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {event && (
        <>
          <dl className="fields summary">
            <Row label="Received">{formatTime(event.createdAt)}</Row>
            <Row label="Outcome" testId="detail-outcome">
              <span className={`outcome-${event.status}`}>{event.status}</span>, answered HTTP {event.httpStatus} in {duration(event.durationMs)}
            </Row>
            <Row label="Source">
              {event.source === 'rck' ? 'RCK' : 'HeyGen'}: {event.method} {event.endpoint}
            </Row>
            <Row label="Event type">{event.eventType ?? '—'}</Row>
            <Row label="About" testId="detail-subject">
              <DeliverySubject source={event.source} videoId={event.videoId} recordId={event.recordId} callbackId={event.callbackId} />
              {event.source === 'heygen' && event.videoId && <span className="muted"> (HeyGen video {event.videoId})</span>}
            </Row>
            <Row label="Workspace">
              {event.workspaceId ? <Link to={search({ view: 'events', workspaceId: event.workspaceId })}>{event.workspaceId}</Link> : <span className="muted">none: no handler found its video or reel (refused before one ran, or it failed first)</span>}
            </Row>
            <Row label="Delivery id">{event.deliveryId ?? '—'}</Row>
            <Row label="Signature">{event.signatureValid === true ? 'verified' : event.signatureValid === false ? 'did not verify' : 'not checked'}</Row>
            {event.error && (
              <Row label="Error" testId="detail-error">
                {event.error}
              </Row>
            )}
            {event.replayOf && (
              <Row label="Replay of">
                <Link to={withParams(params, { event: event.replayOf })}>{event.replayOf}</Link>
              </Row>
            )}
            <Row label="Request id">{event.requestId ?? '—'}</Row>
          </dl>

          <div className="replay-box">
            <ReplayControl eventId={event._id} replayable={event.replayable} reason={event.notReplayableReason} onReplayed={reload} />
          </div>

          <h3>The request</h3>
          <h4>Headers</h4>
          <dl className="fields" data-testid="detail-headers">
            {Object.entries(event.headers ?? {}).map(([name, value]) => (
              <Row key={name} label={name}>
                {value}
              </Row>
            ))}
          </dl>
          <p className="muted">{NEVER_STORED}</p>
          <h4>Body</h4>
          {event.payloadBytes !== undefined && (
            <p className="muted">
              Refused before its handler: {event.payloadBytes} bytes received (SHA-256 {event.payloadSha256}); only the start is kept.
            </p>
          )}
          {event.payloadTruncated && <p className="muted">Cut short.</p>}
          {event.payload === null ? <p className="muted">No body.</p> : <Fields value={event.payload} testId="detail-payload" />}

          <h3>Our answer</h3>
          {event.responseBody === undefined ? (
            <p className="muted">Not stored (recorded before answers were kept).</p>
          ) : (
            <>
              <p>HTTP {event.httpStatus}</p>
              {event.responseBodyTruncated && <p className="muted">Cut at 2048 characters.</p>}
              <Fields value={event.responseBody} testId="detail-answer" />
            </>
          )}
        </>
      )}
    </aside>
  );
}
