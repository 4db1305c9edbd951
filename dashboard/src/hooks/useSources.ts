import { useEffect } from 'react';
import { webhookSourcesList, webhookSourcesPause, webhookSourcesResume, type WebhookSourceDto } from '../../../openapi/client/index.js';
import { api, errorMessage } from '../api.js';
import { useLoad } from './useLoad.js';

/** Read again every 5 s, and every second while a source is resuming (its backlog shrinks). */
const REFRESH_MS = 5000;
const RESUMING_REFRESH_MS = 1000;

/** Each webhook source's pause state and how many deliveries wait. */
export function useSources() {
  const loaded = useLoad<WebhookSourceDto[]>('sources', () => webhookSourcesList({ client: api }));
  const { reload, data } = loaded;
  const resuming = data?.some((source) => source.state === 'resuming') ?? false;
  useEffect(() => {
    const timer = setInterval(reload, resuming ? RESUMING_REFRESH_MS : REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload, resuming]);
  return loaded;
}

export type SourceAction = 'pause' | 'resume';

/** Pauses or resumes a source; answers the API's own words of what it did, or the error. */
export async function changeSource(source: WebhookSourceDto['source'], action: SourceAction): Promise<{ ok: boolean; message: string }> {
  try {
    const call = action === 'pause' ? webhookSourcesPause : webhookSourcesResume;
    const answer = await call({ client: api, path: { source } });
    if (answer.data) return { ok: true, message: answer.data.message ?? `${source}: ${answer.data.data.state}` };
    return { ok: false, message: errorMessage(answer.error, `Could not ${action} ${source}${answer.response ? ` (${answer.response.status})` : ''}`) };
  } catch (error) {
    return { ok: false, message: errorMessage(error, 'The API could not be reached') };
  }
}
