import { duration, formatClock, TIME_ZONE } from '../format.js';
import type { FeedItem } from '../hooks/useLiveFeed.js';
import { useRouter } from '../hooks/useRoute.js';
import { withParams } from '../route.js';
import { Link } from './Link.js';
import { DeliverySubject } from './RecordLink.js';

/**
 * The live feed of deliveries, newest first. Each row opens its event's detail (where a replay is
 * offered if it could change something); its video or reel links to the timeline. On a phone each
 * row is a card (styles.css, `table.cards`: every cell says what it is from its `data-label`).
 */
export function Feed({ items }: { items: FeedItem[] }) {
  const { params } = useRouter();
  return (
    <div className="feed">
      <table data-testid="feed" className="cards">
        <thead>
          <tr>
            <th>Time ({TIME_ZONE})</th>
            <th>Source</th>
            <th>Event</th>
            <th>Video / reel</th>
            <th>Outcome</th>
            <th>Took</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.id} data-testid="feed-row" data-event-id={item.id} data-video-id={item.videoId ?? ''}>
              <td data-label={`Time (${TIME_ZONE})`} data-testid="feed-time" title={item.createdAt}>
                {formatClock(item.createdAt)}
              </td>
              <td data-label="Source">{item.source}</td>
              <td data-label="Event">{item.eventType ?? '—'}</td>
              <td data-label="Video / reel">
                <DeliverySubject source={item.source} videoId={item.videoId} recordId={item.recordId} callbackId={item.callbackId} />
              </td>
              <td data-label="Outcome" className={`outcome-${item.status}`}>
                {item.status} ({item.httpStatus})
              </td>
              <td data-label="Took">{duration(item.durationMs)}</td>
              <td data-label="" className="row-actions">
                <Link to={withParams(params, { event: item.id })} testId="details">
                  details
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length === 0 && <p className="muted">No deliveries yet.</p>}
    </div>
  );
}
