import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { createClient } from '../openapi/client/client/index.js';
import {
  authLogin,
  authMe,
  productsCreate,
  productsFindOne,
  productsList,
  videosBulkGenerate,
  workspacesCreate,
  workspacesCurrent,
  usersCreate,
} from '../openapi/client/index.js';
import { NetworkError, result } from '../openapi/client/result.js';
import { Role } from '../src/common/role.enum.js';
import { createTestApp, TestApp } from './utils/test-app.js';

/** A black-box test: the running app, driven only through the client generated for the React app. */
describe('Generated TypeScript client (black box)', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = await t.app.getUrl();
  });
  afterAll(() => t.close());

  const clientFor = (token?: string) => createClient({ baseUrl, ...(token && { auth: () => token }) });

  it('logs in, sets up a workspace and a user, and manages products', async () => {
    const admin = await t.given.user({ role: Role.SuperAdmin });
    const anonymous = clientFor();
    const adminLogin = await authLogin({ client: anonymous, body: { email: admin.email, password: admin.password } });
    expect(adminLogin.response?.status).toBe(200);
    const adminClient = clientFor(adminLogin.data!.data.accessToken);

    const workspace = await workspacesCreate({
      client: adminClient,
      body: { name: 'Client workspace', plan: { name: 'pro', monthlyVideoLimit: 25 } },
    });
    expect(workspace.response?.status).toBe(201);
    const workspaceId = workspace.data!.data.id;

    const created = await usersCreate({
      client: adminClient,
      body: { email: 'client-user@example.com', name: 'Client User', password: 'client-password-1', role: 'producer', workspaceId },
    });
    expect(created.data!.data).toEqual(expect.objectContaining({ role: 'producer', workspaceId }));

    const login = await authLogin({ client: anonymous, body: { email: 'client-user@example.com', password: 'client-password-1' } });
    const user = clientFor(login.data!.data.accessToken);

    const me = await authMe({ client: user });
    expect(me.data!.data).toEqual({ userId: created.data!.data.id, email: 'client-user@example.com', role: 'producer', workspaceId });

    const current = await workspacesCurrent({ client: user });
    expect(current.data!.data.usage).toEqual(expect.objectContaining({ monthlyVideoLimit: 25, remaining: 25 }));

    const product = await productsCreate({ client: user, body: { title: 'Camiseta', sku: 'TSHIRT-1', imageUrls: ['https://example.com/t.jpg'] } });
    expect(product.response?.status).toBe(201);
    const found = await productsFindOne({ client: user, path: { id: product.data!.data.id } });
    expect(found.data!.data).toEqual(expect.objectContaining({ sku: 'TSHIRT-1', videos: [] }));

    const list = await productsList({ client: user, query: { page: 1, limit: 10 } });
    expect(list.data!.data.pagination).toEqual({ page: 1, limit: 10, total: 1, totalPages: 1 });
    expect(list.data!.data.products.map((p) => p.sku)).toEqual(['TSHIRT-1']);
  });

  it('surfaces the error envelope as typed errors', async () => {
    const unauthorized = await productsList({ client: clientFor() });
    expect(unauthorized.response?.status).toBe(401);
    expect(unauthorized.error).toEqual({ success: false, message: 'Invalid or expired token' });

    const badLogin = await authLogin({ client: clientFor(), body: { email: 'nobody@example.com', password: 'x' } });
    expect(badLogin.response?.status).toBe(401);
    expect(badLogin.error).toEqual({ success: false, message: 'Invalid email or password' });
  });

  it("result() tells data, an error answer and no answer at all apart, as the package's README shows", async () => {
    const member = await t.given.user();
    const login = await result(authLogin({ client: clientFor(), body: { email: member.email, password: member.password } }));
    expect(login).toEqual({ ok: true, status: 200, data: expect.objectContaining({ accessToken: expect.any(String) }) });
    const token = login.ok ? login.data.accessToken : '';

    const invalid = await result(videosBulkGenerate({ client: clientFor(token), body: { productIds: ['nope'], templateId: 't', templateName: 'T' } }));
    expect(invalid).toEqual({
      ok: false,
      kind: 'http',
      status: 400,
      error: expect.objectContaining({ success: false, errors: [{ field: 'productIds', messages: ['each productIds entry must be a valid ObjectId'] }] }),
    });

    // A port nobody listens on: the request gets no answer, and says so by its type.
    const closed = await createTestApp();
    await closed.app.listen({ port: 0, host: '127.0.0.1' });
    const closedUrl = await closed.app.getUrl();
    await closed.close();
    const unreachable = await result(productsList({ client: createClient({ baseUrl: closedUrl }) }));
    expect(unreachable).toEqual({ ok: false, kind: 'network', error: expect.any(NetworkError) });
    expect(!unreachable.ok && unreachable.error.message).toMatch(/^The request got no answer/);
    // The generated call alone puts what fetch threw where the envelope goes.
    const raw = await productsList({ client: createClient({ baseUrl: closedUrl }) });
    expect(raw.response).toBeUndefined();
    expect(raw.error).toBeInstanceOf(TypeError);
  });
});
