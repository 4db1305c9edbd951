import type { TimelineEntryDto } from '../../../openapi/client/index.js';
import { useTimeline } from '../hooks/useEvents.js';
import { useRouter } from '../hooks/useRoute.js';
import { formatTime, TIME_ZONE } from '../format.js';
import { search, withParams } from '../route.js';
import { Link } from './Link.js';

const KIND_LABELS: Record<TimelineEntryDto['kind'], string> = {
  delivery: 'delivery in',
  state: 'state',
  dispatch: 'call out',
  message: 'message out',
  attempt: 'attempt',
  email: 'e-mail',
  chat: 'chat',
};

const GOOD = new Set(['accepted', 'succeeded', 'sent', 'completed']);
const BAD = new Set(['rejected', 'failed']);

/**
 * A video's or a reel's story in time order, from one API call: deliveries in, state changes with
 * their versions, calls to RCK or HeyGen, messages out and their attempts, e-mail and chat.
 */
export function Timeline({ kind, id }: { kind: 'video' | 'reel'; id: string }) {
  const { params } = useRouter();
  const { data, error } = useTimeline(kind, id);
  return (
    <main className="single">
      <section className="wide" data-testid="timeline" data-kind={kind} data-id={id}>
        <h2>
          Timeline of {kind} <span className="mono">{id}</span>
        </h2>
        {error && (
          <p className="error" role="alert" data-testid="timeline-error">
            {error}
          </p>
        )}
        {data && (
          <>
            <dl className="fields summary" data-testid="timeline-subject">
              <div className="field">
                <dt>Now</dt>
                <dd>
                  <span className={`outcome-${data.subject.status}`}>{data.subject.status}</span> (version {data.subject.version})
                  {data.subject.error && <> — {data.subject.error}</>}
                </dd>
              </div>
              <div className="field">
                <dt>{kind === 'video' ? 'Template' : 'Title'}</dt>
                <dd>{data.subject.title}</dd>
              </div>
              <div className="field">
                <dt>Workspace</dt>
                <dd>{data.subject.workspaceId}</dd>
              </div>
              {data.subject.externalId && (
                <div className="field">
                  <dt>{kind === 'video' ? "RCK's job" : "HeyGen's video"}</dt>
                  <dd className="mono">{data.subject.externalId}</dd>
                </div>
              )}
              {data.subject.batchId && (
                <div className="field">
                  <dt>Batch</dt>
                  <dd className="mono">{data.subject.batchId}</dd>
                </div>
              )}
              <div className="field">
                <dt>Deliveries</dt>
                <dd>
                  <Link to={search({ view: 'events', [kind === 'video' ? 'videoId' : 'reelId']: id })} testId="timeline-deliveries">
                    in the explorer
                  </Link>
                </dd>
              </div>
            </dl>
            <p className="muted">
              Oldest first; times in {TIME_ZONE}.{data.truncated && ' Some sources had more than a timeline shows: the latest are shown.'}
            </p>
            <table data-testid="timeline-entries" className="cards">
              <thead>
                <tr>
                  <th>When ({TIME_ZONE})</th>
                  <th>What</th>
                  <th>What happened</th>
                  <th>Outcome</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {data.entries.map((entry, i) => (
                  <tr key={i} data-testid="timeline-entry" data-kind={entry.kind} data-outcome={entry.outcome ?? ''} className={`kind-${entry.kind}`}>
                    <td data-label="When" className="nowrap">{formatTime(entry.at)}</td>
                    <td data-label="What">
                      <span className={`badge badge-${entry.kind}`}>{KIND_LABELS[entry.kind]}</span>
                      {entry.batch && <span className="badge badge-batch">batch</span>}
                    </td>
                    <td data-label="What happened">{entry.summary}</td>
                    <td data-label="Outcome" className={GOOD.has(entry.outcome ?? '') ? 'outcome-accepted' : BAD.has(entry.outcome ?? '') ? 'outcome-failed' : ''}>{entry.outcome ?? '—'}</td>
                    <td data-label="" className="row-actions">
                      {entry.eventId && (
                        <Link to={withParams(params, { event: entry.eventId })} testId="timeline-event-link">
                          details
                        </Link>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </main>
  );
}
