import { after as afterAll, before as beforeAll, describe, it, mock } from 'node:test';
import { expect } from 'expect';
import { Controller, Get, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Auth, Public } from '../src/common/auth.decorators.js';
import { MongoWireServer, startMongoWireServer } from '@videogen/mongo-wire-server';
import { Role } from '../src/common/role.enum.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { eventually } from './utils/eventually.js';
import { describeOnOwnServer } from './utils/own-server.js';
import { getModelToken } from '@nestjs/mongoose';
import * as argon2 from 'argon2';
import { Model } from 'mongoose';
import { User } from '../src/users/user.schema.js';

describe('Authentication and roles (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { SUPERADMIN_EMAIL: 'Root@Example.com', SUPERADMIN_PASSWORD: 'root-password-123456' } });
  });
  afterAll(() => t.close());

  describe('POST /api/auth/login', () => {
    it('returns a bearer token that authenticates later requests', async () => {
      const user = await t.given.user({ role: Role.Producer });
      const login = await t.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200);

      expect(login.body).toEqual({
        success: true,
        data: {
          accessToken: expect.any(String),
          tokenType: 'Bearer',
          expiresIn: 3600,
          user: expect.objectContaining({ id: user.id, email: user.email, role: 'producer', workspaceId: user.workspaceId }),
        },
      });
      expect(JSON.stringify(login.body)).not.toMatch(/passwordHash|argon2/);

      const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${login.body.data.accessToken}`).expect(200);
      expect(me.body.data).toEqual({ userId: user.id, email: user.email, role: 'producer', workspaceId: user.workspaceId });
    });

    it('moves a hash made with older argon2 parameters to today\'s at sign-in, and the password still works', async () => {
      const user = await t.given.user();
      const users = t.app.get<Model<User>>(getModelToken(User.name));
      // A hash from before one-lane hashing: the library's default of 4 lanes.
      const old = await argon2.hash(user.password, { type: argon2.argon2id, parallelism: 4 });
      await users.updateOne({ _id: user.id }, { $set: { passwordHash: old } }).exec();
      await t.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200);
      await eventually(async () => {
        const stored = (await users.findById(user.id).select('+passwordHash').lean().exec())!.passwordHash;
        expect(stored).toMatch(/^\$argon2id\$v=19\$m=65536,p=1,t=3\$/);
      });
      await t.http().post('/api/auth/login').send({ email: user.email, password: user.password }).expect(200);
      // A wrong password never triggers a rehash.
      await users.updateOne({ _id: user.id }, { $set: { passwordHash: old } }).exec();
      await t.http().post('/api/auth/login').send({ email: user.email, password: 'not-the-password' }).expect(401);
      expect((await users.findById(user.id).select('+passwordHash').lean().exec())!.passwordHash).toBe(old);
    });

    it('accepts the email in any case and with surrounding spaces', async () => {
      const user = await t.given.user();
      await t.http().post('/api/auth/login').send({ email: `  ${user.email.toUpperCase()} `, password: user.password }).expect(200);
    });

    it('answers 401 with one message for a wrong password and for an unknown email', async () => {
      const user = await t.given.user();
      const wrongPassword = await t.http().post('/api/auth/login').send({ email: user.email, password: 'not-the-password' }).expect(401);
      const unknownEmail = await t.http().post('/api/auth/login').send({ email: 'nobody@example.com', password: 'whatever-123' }).expect(401);
      expect(wrongPassword.body).toEqual({ success: false, message: 'Invalid email or password' });
      expect(unknownEmail.body).toEqual(wrongPassword.body);
    });

    it('answers 400 naming the field when the body is invalid', async () => {
      const response = await t.http().post('/api/auth/login').send({ email: 'not-an-email' }).expect(400);
      expect(response.body.success).toBe(false);
      expect(response.body.message).toBe('email must be a valid email address');
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'password' }), expect.objectContaining({ field: 'email' })]),
      );
    });

    it('refuses unknown fields instead of silently ignoring them', async () => {
      const user = await t.given.user();
      const response = await t.http().post('/api/auth/login').send({ email: user.email, password: user.password, role: 'superadmin' }).expect(400);
      expect(response.body.message).toBe('property role should not exist');
    });
  });

  describe('protected routes', () => {
    it('answer 401 without a token', async () => {
      const response = await t.http().get('/api/auth/me').expect(401);
      expect(response.body).toEqual({ success: false, message: 'Invalid or expired token' });
    });

    it('answer 401 for a malformed token, a token signed with another secret and an expired token', async () => {
      const user = await t.given.user();
      const payload = { sub: user.id, email: user.email, role: user.role, workspaceId: user.workspaceId };
      const foreign = new JwtService({ secret: 'another-secret-another-secret-another-secret' }).sign(payload);
      const expired = new JwtService({ secret: t.config.jwt.secret }).sign(payload, { expiresIn: -10 });
      for (const token of ['garbage', foreign, expired]) {
        await t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
      }
      // The same payload signed with the right secret works: the 401s above are about the token.
      const valid = new JwtService({ secret: t.config.jwt.secret }).sign(payload, { expiresIn: 60 });
      await t.http().get('/api/auth/me').set('Authorization', `Bearer ${valid}`).expect(200);
    });

    it('answer 401 for a token without exp, and for anything after the token in the header', async () => {
      const user = await t.given.user();
      const payload = { sub: user.id, email: user.email, role: user.role, workspaceId: user.workspaceId };
      const signer = new JwtService({ secret: t.config.jwt.secret });
      await t.http().get('/api/auth/me').set('Authorization', `Bearer ${signer.sign(payload)}`).expect(401);
      const expiring = signer.sign(payload, { expiresIn: 60 });
      await t.http().get('/api/auth/me').set('Authorization', `Bearer ${expiring} trailing`).expect(401);
      await t.http().get('/api/auth/me').set('Authorization', `Bearer ${expiring},Bearer ${expiring}`).expect(401);
      await t.http().get('/api/auth/me').set('Authorization', `Bearer  ${expiring}`).expect(401);
      await t.http().get('/api/auth/me').set('Authorization', `bearer ${expiring}`).expect(200);
    });

    it('answer 401 when the account behind a valid token no longer exists', async () => {
      const token = new JwtService({ secret: t.config.jwt.secret }).sign({ sub: '507f1f77bcf86cd799439011', email: 'gone@example.com', role: Role.SuperAdmin }, { expiresIn: 60 });
      await t.http().get('/api/workspaces').set('Authorization', `Bearer ${token}`).expect(401);
    });

    it('answer 403 when the role is not allowed', async () => {
      for (const role of [Role.User, Role.Producer]) {
        const { token } = await t.given.loggedIn({ role });
        const response = await t.http().get('/api/workspaces').set('Authorization', `Bearer ${token}`).expect(403);
        expect(response.body).toEqual({ success: false, message: 'You do not have permission to perform this action' });
      }
    });
  });

  describe('superadmin', () => {
    it('is created on start-up from SUPERADMIN_EMAIL / SUPERADMIN_PASSWORD and can log in', async () => {
      const login = await t.http().post('/api/auth/login').send({ email: 'root@example.com', password: 'root-password-123456' }).expect(200);
      expect(login.body.data.user).toEqual(expect.objectContaining({ role: 'superadmin', email: 'root@example.com' }));
      expect(login.body.data.user.workspaceId).toBeUndefined();
    });

    it('creates a workspace and a user in it, who can then log in', async () => {
      const { token } = await t.given.loggedIn({ role: Role.SuperAdmin });
      const auth = { Authorization: `Bearer ${token}` };
      const workspace = await t.http().post('/api/workspaces').set(auth)
        .send({ name: 'Acme', plan: { name: 'pro', monthlyVideoLimit: 50 } }).expect(201);
      expect(workspace.body.data).toEqual(expect.objectContaining({
        name: 'Acme',
        plan: { name: 'pro', monthlyVideoLimit: 50 },
        usage: expect.objectContaining({ videosGenerated: 0, monthlyVideoLimit: 50, remaining: 50 }),
      }));

      const created = await t.http().post('/api/users').set(auth).send({
        email: 'New.Person@example.com', name: 'New Person', password: 'a-long-password-1', role: 'user', workspaceId: workspace.body.data.id,
      }).expect(201);
      expect(created.body.data).toEqual(expect.objectContaining({ email: 'new.person@example.com', role: 'user', workspaceId: workspace.body.data.id }));

      const login = await t.http().post('/api/auth/login').send({ email: 'new.person@example.com', password: 'a-long-password-1' }).expect(200);
      const current = await t.http().get('/api/workspaces/current').set('Authorization', `Bearer ${login.body.data.accessToken}`).expect(200);
      expect(current.body.data.id).toBe(workspace.body.data.id);

      const duplicate = await t.http().post('/api/users').set(auth).send({
        email: 'new.person@example.com', name: 'Again', password: 'a-long-password-1', role: 'user', workspaceId: workspace.body.data.id,
      }).expect(409);
      expect(duplicate.body).toEqual({ success: false, message: 'A user with this email already exists' });
    });

    it('refuses a workspace without a plan, or with a bad one, naming the field', async () => {
      const { token } = await t.given.loggedIn({ role: Role.SuperAdmin });
      const auth = { Authorization: `Bearer ${token}` };
      const missing = await t.http().post('/api/workspaces').set(auth).send({ name: 'No plan' }).expect(400);
      expect(missing.body.message).toBe('plan is required');
      const bad = await t.http().post('/api/workspaces').set(auth).send({ name: 'Bad plan', plan: { name: 'x', monthlyVideoLimit: -1 } }).expect(400);
      expect(bad.body.errors).toEqual([{ field: 'plan.monthlyVideoLimit', messages: ['monthlyVideoLimit must not be less than 0'] }]);
      const list = await t.http().get('/api/workspaces?limit=100').set(auth).expect(200);
      expect(list.body.data.workspaces.map((w: { name: string }) => w.name)).not.toContain('No plan');
    });

    it('cannot create a non-superadmin without an existing workspace', async () => {
      const { token } = await t.given.loggedIn({ role: Role.SuperAdmin });
      const auth = { Authorization: `Bearer ${token}` };
      const base = { email: `x-${Date.now()}@example.com`, name: 'X', password: 'a-long-password-1', role: 'producer' };
      const missing = await t.http().post('/api/users').set(auth).send(base).expect(400);
      expect(missing.body.message).toBe('workspaceId is required for role producer');
      const unknown = await t.http().post('/api/users').set(auth).send({ ...base, workspaceId: '507f1f77bcf86cd799439011' }).expect(400);
      expect(unknown.body.message).toBe('Workspace not found');
      const invalid = await t.http().post('/api/users').set(auth).send({ ...base, workspaceId: 'abc' }).expect(400);
      expect(invalid.body.message).toBe('workspaceId must be a valid ObjectId');
    });
  });
});

/** Controllers that combine the access decorators the way a future module might. */
@Controller('test-only/public-class')
@Public()
class PublicClassController {
  @Get('open')
  open() {
    return { ok: true };
  }

  @Get('guarded')
  @Auth(Role.SuperAdmin)
  guarded() {
    return { ok: true };
  }
}

@Controller('test-only/admin-class')
@Auth(Role.SuperAdmin)
class AdminClassController {
  @Get('bare')
  @Auth()
  bare() {
    return { ok: true };
  }
}

describe('Access decorators combined on class and method (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ controllers: [PublicClassController, AdminClassController] });
  });
  afterAll(() => t.close());

  it('@Auth on a method wins over @Public() on its class', async () => {
    await t.http().get('/test-only/public-class/open').expect(200);
    await t.http().get('/test-only/public-class/guarded').expect(401);
    const { token } = await t.given.loggedIn({ role: Role.User });
    await t.http().get('/test-only/public-class/guarded').set('Authorization', `Bearer ${token}`).expect(403);
  });

  it('a bare @Auth() on a method keeps the roles its class requires', async () => {
    const user = await t.given.loggedIn({ role: Role.Producer });
    await t.http().get('/test-only/admin-class/bare').set('Authorization', `Bearer ${user.token}`).expect(403);
    const admin = await t.given.loggedIn({ role: Role.SuperAdmin });
    await t.http().get('/test-only/admin-class/bare').set('Authorization', `Bearer ${admin.token}`).expect(200);
  });
});

describeOnOwnServer('When the database is down (e2e)', 'stops its own wire server', () => {
  let t: TestApp;
  let server: MongoWireServer;

  beforeAll(async () => {
    server = await startMongoWireServer();
    t = await createTestApp({ mongoServerUri: server.uri });
  });
  afterAll(async () => {
    await t.app.close();
    await server.stop();
  });

  it('answers a valid token with a 500 and an errorId, not a 401 that would log the user out', { timeout: 60_000 }, async () => {
    const { token } = await t.given.loggedIn();
    await server.stop();
    const health = await t.http().get('/health').expect(503);
    expect(health.body).toEqual({
      success: false,
      message: 'Service unavailable: mongodb down',
      details: { mongodb: expect.objectContaining({ status: 'down' }) },
    });
    const logged = mock.method(Logger.prototype, 'error', () => undefined);
    try {
      const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(500);
      expect(me.body).toEqual({ success: false, message: 'Internal server error', errorId: expect.any(String) });
    } finally {
      logged.mock.restore();
    }
  });
});
