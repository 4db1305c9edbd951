import type { FeedItem } from '../hooks/useLiveFeed.js';
import { useRouter } from '../hooks/useRoute.js';
import { withParams } from '../route.js';
import { Link } from './Link.js';
import { DeliverySubject } from './RecordLink.js';

/**
 * The live feed of deliveries, newest first. Each row opens its event's detail (where a replay is
 * offered if it could change something); its video or reel links to the timeline.
 */
export function Feed({ items }: { items: FeedItem[] }) {
  const { params } = useRouter();
  return (
    <div className="feed">
      <table data-testid="feed">
        <thead>
          <tr>
            <th>Time</th>
            <th>Source</th>
            <th>Event</th>
            <th>Video / reel</th>
            <th>Outcome</th>
            <th>Duration</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.id} data-testid="feed-row" data-event-id={item.id} data-video-id={item.videoId ?? ''}>
              <td>{new Date(item.createdAt).toLocaleTimeString()}</td>
              <td>{item.source}</td>
              <td>{item.eventType ?? '—'}</td>
              <td>
                <DeliverySubject source={item.source} videoId={item.videoId} recordId={item.recordId} callbackId={item.callbackId} />
              </td>
              <td className={`outcome-${item.status}`}>
                {item.status} ({item.httpStatus})
              </td>
              <td>{item.durationMs} ms</td>
              <td>
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
