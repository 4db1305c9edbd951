import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface HeygenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body?: Record<string, unknown>;
}

/**
 * How the fake answers generate: a video id, an error status, a dropped connection, silence, or
 * silence after making the video (`create-then-hang`: the answer that never reached us).
 */
export type HeygenMode = 'ok' | { status: number } | 'reset' | 'hang' | 'create-then-hang';

export interface FakeVideo {
  video_id: string;
  callback_id?: string;
  video_title?: string;
  /** Unix seconds, as HeyGen's list gives it. */
  created_at: number;
  status: 'pending' | 'processing' | 'waiting' | 'completed' | 'failed';
  video_url?: string;
  thumbnail_url?: string;
  error?: string;
  /** What the status API gives as the URLs instead of fresh ones (a HeyGen gone wrong). */
  fixedUrls?: { video_url: string; thumbnail_url?: string };
}

/**
 * A local HTTP server that plays HeyGen: POST /v2/video/generate, GET /v1/video_status.get,
 * GET /v1/video.list (newest first, paged by `token`), and
 * /v1/webhook/endpoint.add|list|delete; it records what we send and keeps the videos it "made"
 * (the tests send its webhooks themselves, signed or not).
 */
export class FakeHeygen {
  readonly requests: HeygenRequest[] = [];
  /** Answers for the next generate calls, in order; when empty, `mode`. */
  readonly script: HeygenMode[] = [];
  mode: HeygenMode = 'ok';
  /** Answers for GET /v1/video.list: the list, or an error status. */
  listMode: 'ok' | { status: number } = 'ok';
  readonly videos = new Map<string, FakeVideo>();
  readonly endpoints = new Map<string, { endpoint_id: string; url: string; events: string[]; secret: string; status: string }>();
  /** Every status call hands out a fresh URL, as HeyGen does. */
  private urlVersion = 0;
  private nextId = 1;
  private readonly hanging = new Set<ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeHeygen> {
    let fake!: FakeHeygen;
    const server = createServer((req, res) => fake.handle(req, res));
    fake = new FakeHeygen(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The generate calls that created a video. */
  get generated(): HeygenRequest[] {
    return this.requests.filter((r) => r.path === '/v2/video/generate');
  }

  reset(): void {
    this.requests.length = 0;
    this.script.length = 0;
    this.mode = 'ok';
    this.listMode = 'ok';
  }

  /** HeyGen finishes a video: the status API says so from now on. */
  finish(videoId: string, outcome: { status: 'completed'; fixedUrls?: FakeVideo['fixedUrls'] } | { status: 'failed'; error: string }): void {
    const video = this.videos.get(videoId)!;
    Object.assign(video, outcome.status === 'completed' ? { ...outcome, ...this.freshUrls(videoId) } : outcome);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private freshUrls(videoId: string) {
    const v = ++this.urlVersion;
    return {
      video_url: `https://resource.heygen.example/video/${videoId}.mp4?Expires=v${v}`,
      thumbnail_url: `https://resource.heygen.example/thumbnail/${videoId}.jpg?Expires=v${v}`,
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString();
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body });
      const json = (status: number, payload: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      if (req.headers['x-api-key'] !== 'test-heygen-api-key-0123456789') return json(401, { error: { code: 'unauthorized', message: 'Invalid API key' } });
      const route = `${req.method} ${url.pathname}`;

      if (route === 'POST /v2/video/generate') {
        const mode = this.script.shift() ?? this.mode;
        if (mode === 'reset') return void req.socket.destroy();
        if (mode === 'hang') return void this.hanging.add(res);
        if (typeof mode === 'object') return json(mode.status, { error: { code: 'internal_error', message: 'boom' }, data: null });
        const videoId = `vid_${this.nextId++}`;
        this.videos.set(videoId, {
          video_id: videoId, callback_id: body?.callback_id as string | undefined, video_title: body?.title as string | undefined,
          created_at: Math.floor(Date.now() / 1000), status: 'processing',
        });
        if (mode === 'create-then-hang') return void this.hanging.add(res);
        return json(200, { error: null, data: { video_id: videoId } });
      }
      if (route === 'GET /v1/video.list') {
        if (this.listMode !== 'ok') return json(this.listMode.status, { code: 50000, message: 'list unavailable', data: null });
        const limit = Number(url.searchParams.get('limit') ?? 100);
        const start = Number(url.searchParams.get('token') ?? 0);
        const newestFirst = [...this.videos.values()].reverse();
        const page = newestFirst.slice(start, start + limit);
        const token = start + limit < newestFirst.length ? String(start + limit) : null;
        // As HeyGen lists them: no callback_id (the status API has it).
        const videos = page.map(({ video_id, video_title, status, created_at }) => ({ video_id, video_title, status, created_at, type: 'GENERATED' }));
        return json(200, { code: 100, message: 'Success', data: { videos, token } });
      }
      if (route === 'GET /v1/video_status.get') {
        const video = this.videos.get(url.searchParams.get('video_id') ?? '');
        if (!video) return json(404, { code: 40001, message: 'video not found', data: null });
        const urls = video.status === 'completed' ? (video.fixedUrls ?? this.freshUrls(video.video_id)) : {};
        return json(200, { code: 100, message: 'Success', data: { id: video.video_id, status: video.status, callback_id: video.callback_id, error: video.error ?? null, ...urls } });
      }
      if (route === 'POST /v1/webhook/endpoint.add') {
        const endpointId = `ep_${this.nextId++}`;
        const endpoint = { endpoint_id: endpointId, url: String(body?.url), events: (body?.events as string[]) ?? [], secret: `secret_${endpointId}_0123456789`, status: 'enabled' };
        this.endpoints.set(endpointId, endpoint);
        return json(200, { code: 100, message: 'Success', data: { ...endpoint, created_at: '2025-01-17T10:00:00Z' } });
      }
      if (route === 'GET /v1/webhook/endpoint.list') {
        return json(200, { code: 100, message: 'Success', data: [...this.endpoints.values()].map(({ secret: _secret, ...rest }) => rest) });
      }
      if (route === 'DELETE /v1/webhook/endpoint.delete') {
        const id = url.searchParams.get('endpoint_id') ?? '';
        if (!this.endpoints.delete(id)) return json(404, { code: 40004, message: 'endpoint not found', data: null });
        return json(200, { code: 100, message: 'Success', data: null });
      }
      json(404, { message: 'not found' });
    });
  }
}

export { FakeClock } from './fake-clock.js';
