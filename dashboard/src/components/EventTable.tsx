import type { WebhookEventDetailDto } from '../../../openapi/client/index.js';
import type { ReplayOutcome } from '../hooks/useEvents.js';
import { useRouter } from '../hooks/useRoute.js';
import { duration, formatTime, TIME_ZONE } from '../format.js';
import { withParams } from '../route.js';
import { Link } from './Link.js';
import { DeliverySubject } from './RecordLink.js';
import { ReplayControl } from './ReplayControl.js';

/** A page of the event log: each row links to its detail, its video or reel to the timeline; replay where it could change something. */
export function EventTable({ events, onReplayed }: { events: WebhookEventDetailDto[]; onReplayed: (outcome: ReplayOutcome) => void }) {
  const { params } = useRouter();
  return (
    <table data-testid="events" className="cards">
      <thead>
        <tr>
          <th>Received ({TIME_ZONE})</th>
          <th>Source</th>
          <th>Event</th>
          <th>Video / reel</th>
          <th>Outcome</th>
          <th>Took</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr key={event._id} data-testid="event-row" data-event-id={event._id} data-status={event.status} data-replayable={String(event.replayable)}>
            <td data-label="Received" className="nowrap">{formatTime(event.createdAt)}</td>
            <td data-label="Source">{event.source}</td>
            <td data-label="Event">{event.eventType ?? '—'}</td>
            <td data-label="Video / reel">
              <DeliverySubject source={event.source} videoId={event.videoId} recordId={event.recordId} callbackId={event.callbackId} />
            </td>
            <td data-label="Outcome" className={`outcome-${event.status}`} title={event.error}>
              {event.status} ({event.httpStatus})
            </td>
            <td data-label="Took">{duration(event.durationMs)}</td>
            <td data-label="" className="nowrap row-actions">
              <Link to={withParams(params, { event: event._id })} testId="details">
                details
              </Link>{' '}
              <ReplayControl eventId={event._id} replayable={event.replayable} onReplayed={onReplayed} showOutcome={false} compact />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
