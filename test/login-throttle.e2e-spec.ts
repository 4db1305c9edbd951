import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Role } from '../src/common/role.enum.js';
import { PASSWORD_CHECKS_BUSY, PasswordHasher } from '../src/users/password-hasher.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { eventually } from './utils/eventually.js';
import { LogCapture } from './utils/log-capture.js';
import { LoginAttempt } from '../src/auth/login-attempt.schema.js';
import { Model } from 'mongoose';
import { getModelToken } from '@nestjs/mongoose';

describe('Login brute-force protection (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_MINUTES: '15' } });
  });
  afterAll(() => t.close());

  const attempt = (email: string, password: string) => t.http().post('/api/auth/login').send({ email, password });

  it('locks an email out after the allowed failures, even for the right password, with Retry-After', async () => {
    const user = await t.given.user();
    for (let i = 0; i < 3; i++) await attempt(user.email, 'wrong-password').expect(401);
    const locked = await attempt(user.email, user.password).expect(429);
    expect(locked.body).toEqual({ success: false, message: 'Too many failed login attempts; try again later' });
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);

    const other = await t.given.user();
    await attempt(other.email, other.password).expect(200);
  });

  it('lets no more than the allowed guesses through a parallel burst', async () => {
    const user = await t.given.user();
    const burst = await Promise.all(Array.from({ length: 12 }, () => attempt(user.email, 'wrong-password')));
    const statuses = burst.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(9);
    await attempt(user.email, user.password).expect(429);
  });

  it('counts concurrent failures, and unknown emails too', async () => {
    const user = await t.given.user();
    await Promise.all(Array.from({ length: 3 }, () => attempt(user.email, 'wrong-password').expect(401)));
    await attempt(user.email, user.password).expect(429);

    for (let i = 0; i < 3; i++) await attempt('nobody-here@example.com', 'guess').expect(401);
    await attempt('nobody-here@example.com', 'guess').expect(429);
  });

  it('starts counting again after a successful login', async () => {
    const user = await t.given.user();
    for (let i = 0; i < 2; i++) await attempt(user.email, 'wrong-password').expect(401);
    await attempt(user.email, user.password).expect(200);
    for (let i = 0; i < 2; i++) await attempt(user.email, 'wrong-password').expect(401);
    await attempt(user.email, user.password).expect(200);
  });

  it('lets the email in again once the window has ended, and keeps windows in a TTL index', async () => {
    const user = await t.given.user();
    for (let i = 0; i < 3; i++) await attempt(user.email, 'wrong-password').expect(401);
    await attempt(user.email, user.password).expect(429);
    const attempts = t.connection.collection('login_attempts');
    await attempts.updateMany({ email: user.email }, { $set: { windowEndsAt: new Date(Date.now() - 1000) } });
    await attempt(user.email, user.password).expect(200);

    const indexes = await attempts.indexes();
    expect(indexes).toContainEqual(expect.objectContaining({ key: { windowEndsAt: 1 }, expireAfterSeconds: 0 }));
  });
});

describe('Login abuse from many emails and many addresses (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Behind a trusted proxy, so a test can speak from several client addresses.
    t = await createTestApp({
      env: { LOGIN_MAX_FAILURES: '3', LOGIN_RATE_LIMIT_MAX: '6', LOGIN_RATE_LIMIT_WINDOW_SECONDS: '60', TRUST_PROXY: 'true' },
    });
  });
  afterAll(() => t.close());

  const from = (address: string, email: string, password: string) =>
    t.http().post('/api/auth/login').set('X-Forwarded-For', address).send({ email, password });

  it('limits login requests per client address, whatever the emails, before any password is checked', async () => {
    const user = await t.given.user();
    for (let i = 0; i < 6; i++) await from('203.0.113.10', `guess-${i}@example.com`, 'guess').expect(401);
    const limited = await from('203.0.113.10', user.email, user.password).expect(429);
    expect(limited.body).toEqual({ success: false, message: 'Too many login attempts from this address; try again later' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Another address is not affected, and the count is kept in MongoDB for every instance.
    await from('203.0.113.11', user.email, user.password).expect(200);
    expect(await t.connection.collection('rate_limits').countDocuments()).toBeGreaterThanOrEqual(2);
  });

  it('locks an email out only for the address that failed, so a stranger cannot lock out its owner', async () => {
    const user = await t.given.user();
    for (let i = 0; i < 3; i++) await from('198.51.100.1', user.email, 'wrong-password').expect(401);
    await from('198.51.100.1', user.email, user.password).expect(429);
    await from('198.51.100.2', user.email, user.password).expect(200);
  });

  it('lets a superadmin lift the locks on an email; nobody else', async () => {
    const user = await t.given.user();
    for (const address of ['192.0.2.1', '192.0.2.2']) {
      for (let i = 0; i < 3; i++) await from(address, user.email, 'wrong-password').expect(401);
      await from(address, user.email, user.password).expect(429);
    }
    const path = `/api/auth/login-locks/${encodeURIComponent(user.email.toUpperCase())}`;
    const producer = await t.given.loggedIn({ role: Role.Producer });
    await t.http().delete(path).set('Authorization', `Bearer ${producer.token}`).expect(403);
    await t.http().delete(path).expect(401);

    const admin = await t.given.loggedIn({ role: Role.SuperAdmin });
    const lifted = await t.http().delete(path).set('Authorization', `Bearer ${admin.token}`).expect(200);
    expect(lifted.body).toEqual({ success: true, data: { email: user.email, addressesUnlocked: 2 } });
    await from('192.0.2.1', user.email, user.password).expect(200);
    await from('192.0.2.2', user.email, user.password).expect(200);
    await t.http().delete('/api/auth/login-locks/not-an-email').set('Authorization', `Bearer ${admin.token}`).expect(400);
  });
});

describe('Password checks under a flood of logins from many addresses (e2e)', () => {
  let t: TestApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: 'true', PASSWORD_CHECK_CONCURRENCY: '1', PASSWORD_CHECK_QUEUE: '3', LOG_LEVEL: 'info' }, logDestination: logs });
  });
  afterAll(() => t.close());

  it('runs at most PASSWORD_CHECK_CONCURRENCY at once, queues a few, and answers the rest 503 with Retry-After', async () => {
    const user = await t.given.user();
    const hasher = t.app.get(PasswordHasher);
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, hasher.load.running)), 1);
    const flood = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      t.http().post('/api/auth/login').set('x-forwarded-for', `203.0.113.${i + 1}`).send({ email: `nobody${i}@example.com`, password: 'wrong-password' })));
    clearInterval(watch);
    const statuses = flood.map((response) => response.status);
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThanOrEqual(4);
    const busy = flood.filter((response) => response.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status !== 401 && status !== 503)).toEqual([]);
    for (const response of busy) {
      expect(response.body).toEqual({ success: false, message: PASSWORD_CHECKS_BUSY });
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(most).toBe(1);
    // Once the flood has passed, a login goes through.
    expect(hasher.load).toEqual({ running: 0, waiting: 0 });
    await t.http().post('/api/auth/login').set('x-forwarded-for', '198.51.100.7').send({ email: user.email, password: user.password }).expect(200);
  });

  it('turns a login away before its body is read or anything is written while every check is taken', async () => {
    const hasher = t.app.get(PasswordHasher);
    // One check running and three waiting (PASSWORD_CHECK_QUEUE): the checks are full.
    const checks = Array.from({ length: 4 }, () => hasher.verify(undefined, 'some-password'));
    await eventually(() => expect(hasher.load).toEqual({ running: 1, waiting: 3 }), 5000, 1);
    // A body the validation pipe would refuse with a 400, and an email never seen: neither is looked at.
    const response = await t.http().post('/api/auth/login').set('x-forwarded-for', '198.51.100.9').send({ email: 'shed@example.com' });
    expect(hasher.load.running + hasher.load.waiting).toBeGreaterThan(0);
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ success: false, message: PASSWORD_CHECKS_BUSY });
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(await t.app.get<Model<LoginAttempt>>(getModelToken(LoginAttempt.name)).countDocuments({ email: 'shed@example.com' })).toBe(0);
    expect(await Promise.all(checks)).toEqual([false, false, false, false]);
  });

  it('logs a turned-away login as a warning, not an error (busy, not broken)', async () => {
    const hasher = t.app.get(PasswordHasher);
    const checks = Array.from({ length: 4 }, () => hasher.verify(undefined, 'some-password'));
    await eventually(() => expect(hasher.load).toEqual({ running: 1, waiting: 3 }), 5000, 1);
    await t.http().post('/api/auth/login').set('x-forwarded-for', '198.51.100.10').set('X-Request-Id', 'shed-login-1')
      .send({ email: 'shed-log@example.com', password: 'x' }).expect(503);
    await Promise.all(checks);
    await eventually(() => expect(logs.lines.filter((line) => line.reqId === 'shed-login-1' && line.msg === 'request completed'))
      .toEqual([expect.objectContaining({ level: 40, res: { statusCode: 503 } })]));
    expect(logs.lines.filter((line) => line.level >= 50)).toEqual([]);
  });
});
