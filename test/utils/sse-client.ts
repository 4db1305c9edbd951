/** One server-sent event as a browser would see it (comments kept apart, for the heartbeat). */
export interface SseMessage {
  event: string;
  id?: string;
  data: any;
}

/**
 * A small text/event-stream reader over fetch (what the dashboard does too: EventSource cannot
 * send Authorization). Keeps every message, the last id and the comment lines.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  lastEventId?: string;
  status = 0;
  headers?: Headers;
  ended = false;
  private readonly abort = new AbortController();
  private done?: Promise<void>;

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    const response = await fetch(url, { headers, signal: client.abort.signal });
    client.status = response.status;
    client.headers = response.headers;
    if (!response.ok || !response.body) {
      client.ended = true;
      client.messages.push({ event: 'error', data: await response.json().catch(() => null) });
      return client;
    }
    client.done = client.read(response.body);
    return client;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          this.parse(block);
        }
      }
    } catch {
      // aborted
    } finally {
      this.ended = true;
    }
  }

  private parse(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (id !== undefined) this.lastEventId = id;
    if (data.length > 0) this.messages.push({ event, id, data: JSON.parse(data.join('\n')) });
  }

  of(event: string): SseMessage[] {
    return this.messages.filter((m) => m.event === event);
  }

  /** Resolves when `count` messages of `event` have arrived (or rejects after timeoutMs). */
  async waitFor(event: string, count = 1, timeoutMs = 5000): Promise<SseMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.of(event).length < count) {
      if (Date.now() > deadline) throw new Error(`${count} "${event}" message(s) expected within ${timeoutMs} ms, got ${this.of(event).length}: ${JSON.stringify(this.messages)}`);
      if (this.ended) throw new Error(`stream ended with ${this.of(event).length} "${event}" message(s): ${JSON.stringify(this.messages)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.of(event);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
