import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface RckBatchRequest {
  headers: IncomingMessage['headers'];
  body: {
    items: Array<Record<string, unknown> & { videoId: string }>;
    success_callback_url: string;
    failure_callback_url: string;
  };
}

/** How the fake answers create-images-batch: job ids, an error status, a dropped connection or silence. */
export type RckMode = 'ok' | { status: number } | 'reset' | 'hang';

/**
 * A local HTTP server that plays RCK Description's create-images-batch: it records what we send
 * and answers `{ job_ids }` in item order, or fails the way a real server can, on demand.
 */
export class FakeRck {
  readonly requests: RckBatchRequest[] = [];
  /** Answers for the next requests, in order; when empty, `mode`. */
  readonly script: RckMode[] = [];
  mode: RckMode = 'ok';
  private readonly hanging = new Set<ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeRck> {
    let fake!: FakeRck;
    const server = createServer((req, res) => fake.handle(req, res));
    fake = new FakeRck(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Every item RCK was sent, across requests, in order. */
  get items(): RckBatchRequest['body']['items'] {
    return this.requests.flatMap((request) => request.body.items);
  }

  reset(): void {
    this.requests.length = 0;
    this.script.length = 0;
    this.mode = 'ok';
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/api/v1/create-images-batch') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString()) as RckBatchRequest['body'];
      this.requests.push({ headers: req.headers, body });
      const mode = this.script.shift() ?? this.mode;
      if (mode === 'reset') {
        req.socket.destroy();
        return;
      }
      if (mode === 'hang') {
        this.hanging.add(res);
        return;
      }
      if (mode !== 'ok') {
        res.writeHead(mode.status, { 'content-type': 'application/json' }).end('{"detail":"boom"}');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ job_ids: body.items.map((item) => `job_${item.videoId}`) }));
    });
  }
}
