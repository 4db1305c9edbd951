import { ChildProcess, fork } from 'node:child_process';
import type { HashOptions } from 'argon2';
import type { PasswordCheckReply, PasswordCheckRequest } from './password-check.process.js';

type Pending = { resolve: (value: string | boolean) => void; reject: (error: Error) => void };
type Request = { op: 'hash'; password: string; options: HashOptions } | { op: 'verify'; password: string; hash: string };

/** Why a check did not finish: its process ended (it is started again for the next one). */
export class PasswordCheckProcessEnded extends Error {}

/**
 * The parent's side of the password-check process (password-check.process.ts): started at the
 * first check, shared by every PasswordHasher of this Node process, started again after it ends.
 * It keeps this process alive only while a check is pending, and ends with it (the IPC channel
 * closes, even on SIGKILL, and the child exits on `disconnect`).
 */
export class PasswordCheckClient {
  private child?: ChildProcess;
  private ready?: Promise<ChildProcess>;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** The process's pid once it runs (for tests and monitoring). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  hash(password: string, options: HashOptions): Promise<string> {
    return this.ask({ op: 'hash', password, options }) as Promise<string>;
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.ask({ op: 'verify', password, hash }) as Promise<boolean>;
  }

  private async ask(request: Request): Promise<string | boolean> {
    const child = await this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.holdOpen();
      child.send({ id, ...request } as PasswordCheckRequest, (error) => {
        if (error) this.settle(id, { id, error: error.message });
      });
    });
  }

  private start(): Promise<ChildProcess> {
    if (this.ready) return this.ready;
    const child = fork(new URL('./password-check.process.js', import.meta.url), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [], // not the service's own flags (an inspector port, --input-type, a test runner's)
      serialization: 'advanced',
    });
    this.child = child;
    this.ready = new Promise<ChildProcess>((resolve, reject) => {
      child.once('message', () => resolve(child)); // its first message says it is ready
      child.once('error', reject);
      child.once('exit', () => reject(new PasswordCheckProcessEnded('The password-check process ended before it was ready')));
    });
    this.ready.catch(() => undefined);
    child.on('message', (reply: PasswordCheckReply) => this.settle(reply.id, reply));
    child.once('exit', () => {
      if (this.child === child) {
        this.child = undefined;
        this.ready = undefined;
      }
      for (const [id, waiter] of this.pending) {
        this.pending.delete(id);
        waiter.reject(new PasswordCheckProcessEnded('The password-check process ended during the check'));
      }
    });
    // Held open while starting (a check is waiting for it), released once idle.
    void this.ready.then(() => {
      if (this.pending.size === 0) this.release(child);
    }, () => undefined);
    return this.ready;
  }

  private settle(id: number, reply: PasswordCheckReply): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    if ('error' in reply) waiter.reject(new Error(reply.error));
    else waiter.resolve(reply.value);
    if (this.pending.size === 0 && this.child) this.release(this.child);
  }

  private holdOpen(): void {
    this.child?.ref();
    this.child?.channel?.ref();
  }

  private release(child: ChildProcess): void {
    child.unref();
    child.channel?.unref();
  }
}

/** The one password-check process of this Node process. */
export const passwordChecks = new PasswordCheckClient();
