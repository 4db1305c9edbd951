import {
  timelineOfReel,
  timelineOfVideo,
  webhookEventsFindOne,
  webhookEventsList,
  webhookEventsReplay,
  webhookEventsReplayable,
  webhookEventsReplayMatching,
  type WebhookEventsListData,
  type WebhookEventsReplayMatchingData,
  type WebhookEventResponseDto,
} from '../../../openapi/client/index.js';
import { api, errorMessage } from '../api.js';
import { useLoad } from './useLoad.js';

/** The explorer's filters, as the list and a bulk replay take them (strings from the query string). */
export type EventFilters = Partial<Record<(typeof FILTER_KEYS)[number], string>>;
export const FILTER_KEYS = ['status', 'source', 'eventType', 'httpStatus', 'videoId', 'reelId', 'workspaceId', 'from', 'to'] as const;

type ListQuery = NonNullable<WebhookEventsListData['query']>;

export function toQuery(filters: EventFilters): ListQuery {
  const query: Record<string, unknown> = {};
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value) query[key] = key === 'httpStatus' ? Number(value) : value;
  }
  return query as ListQuery;
}

/** One page of the event log for these filters. */
export function useEventList(filters: EventFilters, page: number, limit: number) {
  const query = { ...toQuery(filters), page, limit };
  return useLoad(JSON.stringify(query), () => webhookEventsList({ client: api, query }));
}

/** One event, with whether a replay could change anything. */
export function useEvent(id: string) {
  return useLoad(id, () => webhookEventsFindOne({ client: api, path: { id } }));
}

export function useTimeline(kind: 'video' | 'reel', id: string) {
  return useLoad(`${kind}:${id}`, () => (kind === 'video' ? timelineOfVideo({ client: api, path: { videoId: id } }) : timelineOfReel({ client: api, path: { reelId: id } })));
}

export interface ReplayOutcome {
  event?: WebhookEventResponseDto;
  response?: unknown;
  error?: string;
}

/** Runs one stored delivery again (after the operator confirmed). */
export async function replayEvent(id: string): Promise<ReplayOutcome> {
  const { data, error } = await webhookEventsReplay({ client: api, path: { id } });
  return data ? { event: data.data.event, response: data.data.response } : { error: errorMessage(error, 'The replay failed') };
}

/** How many events a bulk replay of the filters would queue, and the most it takes. */
export async function replayPreview(filters: EventFilters): Promise<{ replayable: number; max: number } | { error: string }> {
  const { data, error } = await webhookEventsReplayable({ client: api, query: toQuery(filters) });
  return data ? data.data : { error: errorMessage(error, 'Could not count the events') };
}

export async function replayMatching(filters: EventFilters): Promise<{ queued: number } | { error: string }> {
  const { data, error } = await webhookEventsReplayMatching({ client: api, body: toQuery(filters) as WebhookEventsReplayMatchingData['body'] });
  return data ? data.data : { error: errorMessage(error, 'The bulk replay failed') };
}
