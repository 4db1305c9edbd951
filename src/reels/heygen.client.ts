/**
 * HeyGen's HTTP API: create an avatar video, ask its status, and manage webhook endpoints.
 * Plain `fetch` with a timeout, so the register command (tools/heygen-register.ts) uses the
 * same code as the service.
 */

export interface HeygenApiOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
}

/** HeyGen refused, failed or did not answer in time; the message is safe to store and show. */
export class HeygenApiError extends Error {
  override readonly name = 'HeygenApiError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface GenerateVideoRequest {
  title: string;
  script: string;
  avatarId: string;
  voiceId: string;
  dimension: { width: number; height: number };
  /** Our reel id: HeyGen echoes it in webhooks and the status API. */
  callbackId: string;
  test?: boolean;
}

export type HeygenVideoStatus = 'pending' | 'processing' | 'waiting' | 'completed' | 'failed';

export interface VideoStatusAnswer {
  status: HeygenVideoStatus | string;
  videoUrl?: string;
  thumbnailUrl?: string;
  error?: string;
  callbackId?: string;
}

/** One video of HeyGen's list (`GET /v1/video.list`, newest first). */
export interface ListedVideo {
  videoId: string;
  title?: string;
  status?: string;
  createdAt?: Date;
}

export interface HeygenWebhookEndpoint {
  endpoint_id: string;
  url: string;
  events?: string[] | null;
  status?: string;
  secret?: string;
  created_at?: string;
}

/** Videos per page of the list, and the most pages one lookup reads. */
const LIST_PAGE_SIZE = 100;
const LIST_MAX_PAGES = 10;

export class HeygenApi {
  constructor(private readonly options: HeygenApiOptions) {}

  /** POST /v2/video/generate; answers HeyGen's video_id. */
  async generateVideo(request: GenerateVideoRequest): Promise<string> {
    const body = {
      title: request.title,
      callback_id: request.callbackId,
      dimension: request.dimension,
      ...(request.test !== undefined && { test: request.test }),
      video_inputs: [
        {
          character: { type: 'avatar', avatar_id: request.avatarId, avatar_style: 'normal' },
          voice: { type: 'text', input_text: request.script, voice_id: request.voiceId },
        },
      ],
    };
    const answer = await this.call<{ data?: { video_id?: unknown } }>('POST', '/v2/video/generate', body);
    const videoId = answer.data?.video_id;
    if (typeof videoId !== 'string' || videoId === '') throw new HeygenApiError('HeyGen answered without a video_id');
    return videoId;
  }

  /** GET /v1/video_status.get: the status and, when completed, fresh video and thumbnail URLs (they expire after 7 days). */
  async videoStatus(videoId: string): Promise<VideoStatusAnswer> {
    const answer = await this.call<{ data?: Record<string, unknown> }>('GET', `/v1/video_status.get?video_id=${encodeURIComponent(videoId)}`);
    const data = answer.data;
    if (!data || typeof data.status !== 'string') throw new HeygenApiError('HeyGen answered without a status');
    return {
      status: data.status,
      videoUrl: stringOf(data.video_url),
      thumbnailUrl: stringOf(data.thumbnail_url),
      error: errorText(data.error),
      callbackId: stringOf(data.callback_id),
    };
  }

  /** GET /v1/video.list: one page of the account's videos, newest first, and the next page's token. */
  async listVideos(token?: string): Promise<{ videos: ListedVideo[]; token?: string }> {
    const query = new URLSearchParams({ limit: String(LIST_PAGE_SIZE), ...(token && { token }) });
    const answer = await this.call<{ data?: { videos?: unknown; token?: unknown } }>('GET', `/v1/video.list?${query.toString()}`);
    const videos = answer.data?.videos;
    if (!Array.isArray(videos)) throw new HeygenApiError('HeyGen answered without a video list');
    return {
      videos: videos.flatMap((video: Record<string, unknown>) => {
        const videoId = stringOf(video?.video_id);
        if (!videoId) return [];
        const created = typeof video.created_at === 'number' ? new Date(video.created_at * 1000) : undefined;
        return [{ videoId, title: stringOf(video.video_title), status: stringOf(video.status), createdAt: created }];
      }),
      token: stringOf(answer.data?.token),
    };
  }

  /**
   * The video HeyGen made for `callbackId` since `since`, if any. HeyGen's generate takes no
   * idempotency key and its list shows no callback_id, so: the list's videos created since then
   * with the same title, each confirmed by the callback_id its status answer carries. Throws when
   * HeyGen cannot be asked (then nobody knows, and nothing may be sent).
   */
  async findVideoByCallbackId(callbackId: string, title: string, since: Date): Promise<string | undefined> {
    let token: string | undefined;
    for (let page = 0; page < LIST_MAX_PAGES; page++) {
      const listed = await this.listVideos(token);
      for (const video of listed.videos) {
        if (video.title !== title || (video.createdAt && video.createdAt < since)) continue;
        if ((await this.videoStatus(video.videoId)).callbackId === callbackId) return video.videoId;
      }
      const oldest = listed.videos.at(-1)?.createdAt;
      token = listed.token;
      if (!token || listed.videos.length === 0 || (oldest && oldest < since)) return undefined;
    }
    throw new HeygenApiError(`HeyGen's video list is longer than ${LIST_MAX_PAGES} pages since ${since.toISOString()}`);
  }

  /** POST /v1/webhook/endpoint.add; the answer carries the endpoint id and the secret that signs its deliveries. */
  async addWebhookEndpoint(url: string, events: string[]): Promise<HeygenWebhookEndpoint> {
    const answer = await this.call<{ data?: HeygenWebhookEndpoint }>('POST', '/v1/webhook/endpoint.add', { url, events });
    if (!answer.data?.endpoint_id) throw new HeygenApiError('HeyGen answered without an endpoint_id');
    return answer.data;
  }

  async listWebhookEndpoints(): Promise<HeygenWebhookEndpoint[]> {
    const answer = await this.call<{ data?: HeygenWebhookEndpoint[] }>('GET', '/v1/webhook/endpoint.list');
    return Array.isArray(answer.data) ? answer.data : [];
  }

  async deleteWebhookEndpoint(endpointId: string): Promise<void> {
    await this.call('DELETE', `/v1/webhook/endpoint.delete?endpoint_id=${encodeURIComponent(endpointId)}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!this.options.apiKey) throw new HeygenApiError('HEYGEN_API_KEY is not set');
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: { 'x-api-key': this.options.apiKey, accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'TimeoutError' || name === 'AbortError') throw new HeygenApiError('HeyGen did not answer in time');
      const code = (error as { cause?: { code?: string } }).cause?.code;
      throw new HeygenApiError(`HeyGen unreachable (${code ?? 'network error'})`);
    }
    const text = await response.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const detail = errorText((json as { error?: unknown; message?: unknown } | undefined)?.error) ?? stringOf((json as { message?: unknown } | undefined)?.message);
      throw new HeygenApiError(`HeyGen answered ${response.status}${detail ? `: ${detail.slice(0, 200)}` : ''}`, response.status);
    }
    if (json === undefined || typeof json !== 'object' || json === null) throw new HeygenApiError('HeyGen answered with something other than JSON');
    return json as T;
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** HeyGen's `error` is a string in some answers and `{ code, message }` in others. */
function errorText(value: unknown): string | undefined {
  if (typeof value === 'string') return value || undefined;
  if (value && typeof value === 'object') {
    const { message, code } = value as { message?: unknown; code?: unknown };
    return stringOf(message) ?? (code !== undefined ? String(code) : undefined);
  }
  return undefined;
}
