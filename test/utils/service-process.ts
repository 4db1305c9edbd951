import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export const COMPILED_MAIN = join(REPO_ROOT, 'dist', 'src', 'main.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The compiled service (`npm start` runs the same file after building) as a child process. */
export class ServiceProcess {
  private output = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /**
   * Starts with exactly `env` on top of PATH/HOME: nothing leaks in from the test runner.
   * `nodeArgs` go to node before the service's file (e.g. `--import` a module-load trace).
   */
  static async start(env: Record<string, string>, nodeArgs: string[] = []): Promise<ServiceProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [...nodeArgs, COMPILED_MAIN], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(child, `http://127.0.0.1:${port}`);
  }

  get logs(): string {
    return this.output;
  }

  /** Resolves once `pattern` has matched `count` times in the output written after `from`. */
  async waitForOutput(pattern: RegExp, count: number, from: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    while ((this.output.slice(from).match(global)?.length ?? 0) < count) {
      if (Date.now() > deadline) throw new Error(`${pattern} not seen ${count} times within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async waitForHealth(timeoutMs = 60_000): Promise<{ status: number; body: unknown }> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`service exited with ${exitCode}:\n${this.output}`);
      try {
        const response = await fetch(`${this.baseUrl}/health`);
        if (response.ok) return { status: response.status, body: await response.json() };
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`no /health within ${timeoutMs} ms:\n${this.output}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }

  fetchJson(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
    return fetch(`${this.baseUrl}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    }).then(async (response) => ({ status: response.status, body: await response.json() }));
  }
}
