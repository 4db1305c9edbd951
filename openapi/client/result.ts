/**
 * Hand-written beside the generated client (kept by `npm run openapi`): a call's outcome with
 * its three cases told apart by type. The generated functions resolve to `{ data, error,
 * response }`, where `error` is typed as the API's error envelope even when the request never got
 * an answer (the server down, DNS, CORS, an abort): then there is no `response`, and `error` is
 * whatever fetch threw. `result()` turns that into one of:
 * - `{ ok: true, status, data }`: the envelope's `data`;
 * - `{ ok: false, kind: 'http', status, error }`: an answer with the error envelope
 *   (`{ success: false, message, errors?, errorId? }`);
 * - `{ ok: false, kind: 'network', error }`: no answer, a `NetworkError` holding the cause.
 */
import type { ErrorEnvelopeDto } from './types.gen.js';

export class NetworkError extends Error {
  override readonly name = 'NetworkError';

  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? `The request got no answer: ${cause.message}` : 'The request got no answer');
  }
}

export type ApiResult<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; kind: 'http'; status: number; error: ErrorEnvelopeDto }
  | { ok: false; kind: 'network'; error: NetworkError };

/** What a generated call resolves to (its `responseStyle: 'fields'`, the default). */
interface Fields<TEnvelope> {
  data?: TEnvelope;
  error?: unknown;
  response?: Response;
}

type DataOf<TEnvelope> = TEnvelope extends { data: infer T } ? T : TEnvelope;

export async function result<TEnvelope>(call: Promise<Fields<TEnvelope>>): Promise<ApiResult<DataOf<TEnvelope>>> {
  let fields: Fields<TEnvelope>;
  try {
    fields = await call;
  } catch (error) {
    // A client made with `throwOnError: true` throws instead of returning.
    return { ok: false, kind: 'network', error: new NetworkError(error) };
  }
  const { data, error, response } = fields;
  if (!response) return { ok: false, kind: 'network', error: new NetworkError(error) };
  if (response.ok) {
    const inner = typeof data === 'object' && data !== null && 'data' in data ? (data as { data: DataOf<TEnvelope> }).data : (data as DataOf<TEnvelope>);
    return { ok: true, status: response.status, data: inner };
  }
  const envelope =
    typeof error === 'object' && error !== null && 'message' in error
      ? (error as ErrorEnvelopeDto)
      : { success: false as const, message: typeof error === 'string' && error ? error : response.statusText || `HTTP ${response.status}` };
  return { ok: false, kind: 'http', status: response.status, error: envelope };
}
