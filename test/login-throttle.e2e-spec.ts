import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { createTestApp, TestApp } from './utils/test-app.js';

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
    await attempts.updateOne({ _id: user.email as never }, { $set: { windowEndsAt: new Date(Date.now() - 1000) } });
    await attempt(user.email, user.password).expect(200);

    const indexes = await attempts.indexes();
    expect(indexes).toContainEqual(expect.objectContaining({ key: { windowEndsAt: 1 }, expireAfterSeconds: 0 }));
  });
});
