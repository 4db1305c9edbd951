import { formatClock, TIME_ZONE } from '../format.js';
import type { FeedItem } from '../hooks/useLiveFeed.js';
import { DeliveryTable } from './DeliveryTable.js';

/**
 * The live feed of deliveries, newest first. Each row opens its event's detail (where a replay is
 * offered if it could change something); its video or reel links to the timeline.
 */
export function Feed({ items }: { items: FeedItem[] }) {
  return (
    <div className="feed">
      <DeliveryTable
        rows={items}
        testId="feed"
        rowTestId="feed-row"
        time={{ heading: 'Time', cellLabel: `Time (${TIME_ZONE})`, format: formatClock, cell: { testId: 'feed-time', title: true } }}
        rowData={(item) => ({ 'data-video-id': item.videoId ?? '' })}
        actionsClassName="row-actions"
      />
      {items.length === 0 && <p className="muted">No deliveries yet.</p>}
    </div>
  );
}
