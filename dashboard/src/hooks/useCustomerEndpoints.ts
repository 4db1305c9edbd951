import { useEffect } from 'react';
import {
  type EndpointOverviewListDto,
  webhookEndpointsOverview,
  webhookEndpointsRecover,
  webhookEndpointsRedeliver,
} from '../../../openapi/client/index.js';
import { api, errorMessage } from '../api.js';
import { useLoad } from './useLoad.js';

const REFRESH_MS = 15_000;
export const ENDPOINTS_PAGE = 10;

/** Every workspace's customer endpoints, failing ones first (a page of 10); read again every 15 s. */
export function useCustomerEndpoints(page: number) {
  const loaded = useLoad<EndpointOverviewListDto>(`endpoints:${page}`, () => webhookEndpointsOverview({ client: api, query: { page, limit: ENDPOINTS_PAGE } }));
  const { reload } = loaded;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  return loaded;
}

/** Sends one message to its endpoint once more (same webhook-id); the answer in words. */
export async function redeliverMessage(endpoint: { id: string; workspaceId: string }, messageId: string): Promise<{ ok: boolean; text: string }> {
  const { data, error } = await webhookEndpointsRedeliver({ client: api, path: { id: endpoint.id, messageId }, query: { workspaceId: endpoint.workspaceId } });
  return data
    ? { ok: true, text: `Redelivery queued: message ${messageId} is sent to the endpoint once more, with the same webhook-id; its attempt appears in the list within seconds.` }
    : { ok: false, text: `Nothing was sent: ${errorMessage(error, 'the redelivery failed')}.` };
}

/** Sends again every message to the endpoint that failed for good since `since`; the answer in words. */
export async function recoverEndpoint(endpoint: { id: string; workspaceId: string }, since: string): Promise<{ ok: boolean; text: string }> {
  const { data, error } = await webhookEndpointsRecover({ client: api, path: { id: endpoint.id }, query: { workspaceId: endpoint.workspaceId }, body: { since } });
  if (!data) return { ok: false, text: `Nothing was sent: ${errorMessage(error, 'the recovery failed')}.` };
  const count = data.data.messageIds.length;
  return {
    ok: true,
    text:
      count === 0
        ? 'Nothing to send: no message to this endpoint has failed for good since then (messages still being retried are sent by their schedule).'
        : `Queued ${count} ${count === 1 ? 'message' : 'messages'} that had failed for good to be sent once more, oldest first; their attempts appear in the list within seconds.`,
  };
}
