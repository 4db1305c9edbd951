import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingMessage['headers'];
  /** The request's path and query, as sent. */
  path: string;
  /** The exact bytes received, as a string (what the signature covers). */
  body: string;
  receivedAt: number;
}

/** How the fake answers: 2xx, any status with headers and a body, or never. */
export type EndpointMode = 'ok' | 'hang' | { status: number; headers?: Record<string, string>; body?: string };

/** A local HTTP server playing a customer's webhook endpoint: records what arrives and answers on demand. */
export class FakeEndpoint {
  readonly received: ReceivedWebhook[] = [];
  /** Answers for the next requests, in order; when empty, `mode`. */
  readonly script: EndpointMode[] = [];
  mode: EndpointMode = 'ok';
  private readonly hanging = new Set<ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeEndpoint> {
    let fake!: FakeEndpoint;
    const server = createServer((req, res) => fake.handle(req, res));
    fake = new FakeEndpoint(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  reset(): void {
    this.received.length = 0;
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
      this.received.push({ headers: req.headers, path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() });
      const mode = this.script.shift() ?? this.mode;
      if (mode === 'hang') {
        this.hanging.add(res);
        return;
      }
      if (mode === 'ok') {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(mode.status, { 'content-type': 'text/plain', ...mode.headers }).end(mode.body ?? '');
    });
  }
}
