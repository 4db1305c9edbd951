import { useEffect, useState } from 'react';
import { type StreamCountersDto, type StreamDeliveryDto, webhookEventsList } from '../../../openapi/client/index.js';
import { api } from '../api.js';
import { followStream, type LiveState } from '../live.js';

const FEED_MAX = 200;

/** A row of the live feed: from the event log at first, then from the stream. */
export interface FeedItem {
  id: string;
  createdAt: string;
  source: string;
  eventType?: string;
  videoId?: string;
  recordId?: string;
  callbackId?: string;
  status: string;
  httpStatus: number;
  durationMs: number;
}

/**
 * The latest deliveries (of the chosen workspace: the event log stores each delivery's), then the
 * stream's, newest first; the stream's counters and state. `onChange` is called on every delivery
 * and counters event (the page refreshes its numbers).
 */
export function useLiveFeed(workspaceId: string, onChange: () => void) {
  const [feed, setFeed] = useState<FeedItem[]>([]);
  const [counters, setCounters] = useState<StreamCountersDto>();
  /** The stream's state, the workspace it follows ('' for all), and since when it is not live after having been. */
  const [live, setLive] = useState<{ state: LiveState; detail?: string; workspaceId: string; lostAt?: Date }>({ state: 'connecting', workspaceId: '' });

  useEffect(() => {
    setFeed([]);
    let current = true;
    void webhookEventsList({ client: api, query: { limit: 50, ...(workspaceId && { workspaceId }) } }).then(({ data }) => {
      if (!data || !current) return;
      const initial = data.data.events.map((e) => ({ ...e, id: e._id }));
      setFeed((shown) => mergeFeed(shown, initial));
    });
    return () => {
      current = false;
    };
  }, [workspaceId]);

  useEffect(() => {
    setCounters(undefined);
    return followStream(workspaceId || undefined, {
      onDelivery: (delivery: StreamDeliveryDto) => {
        setFeed((shown) => mergeFeed(shown, [delivery]));
        onChange();
      },
      onCounters: (next) => {
        setCounters(next);
        onChange();
      },
      onState: (state, detail) =>
        setLive((previous) => ({
          state,
          detail,
          workspaceId,
          // The feed stopped following at the first moment it was not live any more.
          lostAt: state === 'live' ? undefined : previous.workspaceId === workspaceId ? (previous.lostAt ?? (previous.state === 'live' ? new Date() : undefined)) : undefined,
        })),
    });
  }, [workspaceId, onChange]);

  return { feed, counters, live };
}

/** Newest first, each event once, at most FEED_MAX. */
function mergeFeed(current: FeedItem[], incoming: FeedItem[]): FeedItem[] {
  const byId = new Map(current.map((item) => [item.id, item]));
  for (const item of incoming) byId.set(item.id, item);
  return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)).slice(0, FEED_MAX);
}
