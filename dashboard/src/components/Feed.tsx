import { useState } from 'react';
import { webhookEventsFindOne, webhookEventsReplay } from '../../../openapi/client/index.js';
import { api } from '../api.js';
import type { FeedItem } from '../hooks/useLiveFeed.js';

/** The live feed of deliveries, newest first. */
export function Feed({ items }: { items: FeedItem[] }) {
  const [shown, setShown] = useState<{ title: string; body: unknown }>();

  const view = async (id: string) => {
    const { data, error } = await webhookEventsFindOne({ client: api, path: { id } });
    setShown({ title: `Event ${id}`, body: data ? data.data : error });
  };
  const replay = async (id: string) => {
    const { data, error } = await webhookEventsReplay({ client: api, path: { id } });
    setShown({ title: `Replay of ${id}`, body: data ?? error });
  };

  return (
    <>
      <div className="feed">
        <table data-testid="feed">
          <thead>
            <tr>
              <th>Time</th>
              <th>Source</th>
              <th>Event</th>
              <th>Video</th>
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
                <td>{item.videoId ?? '—'}</td>
                <td className={`outcome-${item.status}`}>
                  {item.status} ({item.httpStatus})
                </td>
                <td>{item.durationMs} ms</td>
                <td>
                  <button className="link" onClick={() => void view(item.id)}>
                    event
                  </button>{' '}
                  <button className="link" onClick={() => void replay(item.id)}>
                    replay
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {items.length === 0 && <p className="muted">No deliveries yet.</p>}
      </div>
      {shown && (
        <div data-testid="event-detail">
          <h2>
            {shown.title}{' '}
            <button className="link" onClick={() => setShown(undefined)}>
              close
            </button>
          </h2>
          <pre>{JSON.stringify(shown.body, null, 2)}</pre>
        </div>
      )}
    </>
  );
}
