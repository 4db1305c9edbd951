import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { passwordChecks } from '../src/users/password-check.client.js';
import { PASSWORD_CHECKS_RESTARTING, PasswordHasher } from '../src/users/password-hasher.js';
import { eventually } from './utils/eventually.js';
import { createTestApp, TestApp } from './utils/test-app.js';

/** Each thread's nice value (the 19th field of /proc/<pid>/task/<tid>/stat). */
function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Password checks (argon2) run in their own process at the lowest CPU priority, so a flood of
 * logins uses only the CPU the webhooks leave idle (bench:login-flood measures it).
 */
describe('Password checks in their own low-priority process (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const login = (email: string, password: string) => t.http().post('/api/auth/login').send({ email, password });

  it('checks a login in another process, every thread of which runs at nice 19', async () => {
    const user = await t.given.user();
    await login(user.email, 'wrong-password').expect(401);
    await login(user.email, user.password).expect(200);

    const pid = passwordChecks.pid!;
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
    const niceness = threadNiceness(pid);
    expect(niceness.length).toBeGreaterThan(1);
    expect(niceness.every((nice) => nice === 19)).toBe(true);
    expect(threadNiceness(process.pid)).toContain(0);
  });

  it('answers 503 with Retry-After when the process dies during a check, and starts it again for the next', async () => {
    const user = await t.given.user();
    await login(user.email, user.password).expect(200);
    const first = passwordChecks.pid!;
    // Frozen, the process holds the check it is sent until it is killed: no race with its answer.
    process.kill(first, 'SIGSTOP');
    const pending = login(user.email, user.password).then((response) => response);
    await eventually(() => expect(t.app.get(PasswordHasher).load.running).toBe(1));
    process.kill(first, 'SIGKILL');

    const refused = await pending;
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ success: false, message: PASSWORD_CHECKS_RESTARTING });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(t.app.get(PasswordHasher).load).toEqual({ running: 0, waiting: 0 });

    await login(user.email, user.password).expect(200);
    expect(passwordChecks.pid).not.toBe(first);
    await login(user.email, 'wrong-password').expect(401);
  });

  it('ends when the service is killed, leaving no process behind', async () => {
    const client = new URL('../src/users/password-check.client.js', import.meta.url).href;
    const script = `const { passwordChecks } = await import(${JSON.stringify(client)});
      await passwordChecks.verify('not-a-hash', 'x');
      console.log(passwordChecks.pid);
      setInterval(() => {}, 1000);`;
    const service = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(service, 'exit').then(([code]) => {
      throw new Error(`the service ended first (exit ${code})`);
    });
    const [chunk] = (await Promise.race([once(service.stdout!, 'data'), exited])) as [Buffer];
    const checker = Number(chunk.toString().trim());
    expect(alive(checker)).toBe(true);

    exited.catch(() => undefined);
    service.kill('SIGKILL');
    await once(service, 'exit').catch(() => undefined);
    await eventually(() => expect(alive(checker)).toBe(false));
  });
});
