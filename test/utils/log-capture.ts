/** Collects the JSON log lines an app writes (createTestApp's `logDestination`). */
export class LogCapture {
  readonly lines: Array<Record<string, any>> = [];
  write(chunk: string): void {
    for (const line of chunk.split('\n').filter(Boolean)) this.lines.push(JSON.parse(line));
  }
  get text(): string {
    return JSON.stringify(this.lines);
  }
}
