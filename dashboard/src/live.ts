import { monitoringStream, type StreamCountersDto, type StreamDeliveryDto } from '../../openapi/client/index.js';
import { api } from './api.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'refused';

export interface LiveHandlers {
  onDelivery(delivery: StreamDeliveryDto): void;
  onCounters(counters: StreamCountersDto): void;
  onState(state: LiveState, detail?: string): void;
}

/**
 * Follows GET /api/monitoring/stream through the generated client, which reads it with fetch and a
 * ReadableStream (EventSource cannot send the Authorization header, and the token stays out of
 * the URL). When the connection drops it connects again with the last id received as
 * Last-Event-ID, so nothing is missed and nothing repeated; a 401 or 403 stops it.
 */
export function followStream(workspaceId: string | undefined, handlers: LiveHandlers): () => void {
  const abort = new AbortController();
  let lastEventId: string | undefined;
  let stopped = false;

  const run = async () => {
    let delay = 1000;
    while (!stopped) {
      handlers.onState(lastEventId ? 'reconnecting' : 'connecting');
      let refused: string | undefined;
      let opened = false;
      try {
        const { stream } = await monitoringStream({
          client: api,
          query: workspaceId ? { workspaceId } : undefined,
          headers: lastEventId ? { 'Last-Event-ID': lastEventId } : undefined,
          signal: abort.signal,
          sseMaxRetryAttempts: 1,
          onSseError: (error) => {
            const status = /SSE failed: (\d{3})/.exec(String(error))?.[1];
            if (status === '401' || status === '403' || status === '400') refused = status;
          },
          onSseEvent: (event) => {
            if (event.id) lastEventId = event.id;
            if (event.event === 'ready') {
              opened = true;
              delay = 1000;
              handlers.onState('live');
            } else if (event.event === 'delivery') handlers.onDelivery(event.data as StreamDeliveryDto);
            else if (event.event === 'counters') handlers.onCounters(event.data as StreamCountersDto);
          },
        });
        for await (const _ of stream) {
          // Events are handled in onSseEvent (it also sees their ids).
        }
      } catch {
        // Handled below as a dropped connection.
      }
      if (stopped) return;
      if (refused) {
        handlers.onState('refused', refused === '400' ? 'The stream refused the request' : 'Signed out or not allowed');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, opened ? 500 : delay));
      delay = Math.min(delay * 2, 15_000);
    }
  };
  void run();
  return () => {
    stopped = true;
    abort.abort();
  };
}
