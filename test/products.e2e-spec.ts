import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Role } from '../src/common/role.enum.js';
import { createTestApp, TestApp } from './utils/test-app.js';

describe('Products (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('creates a product in the caller workspace and reads it back', async () => {
    const { user, token } = await t.given.loggedIn();
    const created = await t.http().post('/api/products').set('Authorization', `Bearer ${token}`)
      .send({ title: '  Producto ejemplo ', sku: 'SKU-12345', imageUrls: ['https://example.com/image1.jpg'] })
      .expect(201);
    expect(created.body).toEqual({
      success: true,
      data: expect.objectContaining({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        workspaceId: user.workspaceId,
        title: 'Producto ejemplo',
        sku: 'SKU-12345',
        imageUrls: ['https://example.com/image1.jpg'],
        videos: [],
      }),
    });
    const read = await t.http().get(`/api/products/${created.body.data.id}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(read.body.data).toEqual(created.body.data);
  });

  it('lists only the caller workspace products, newest first, paginated', async () => {
    const mine = await t.given.workspace();
    const other = await t.given.workspace();
    const { token } = await t.given.loggedIn({ workspaceId: mine.id });
    const skus: string[] = [];
    for (let i = 0; i < 5; i++) skus.push((await t.given.product(mine.id, { sku: `MINE-${i}` })).sku);
    await t.given.product(other.id, { sku: 'THEIRS-0' });

    const page1 = await t.http().get('/api/products?page=1&limit=2').set('Authorization', `Bearer ${token}`).expect(200);
    const page3 = await t.http().get('/api/products?page=3&limit=2').set('Authorization', `Bearer ${token}`).expect(200);
    expect(page1.body.data.pagination).toEqual({ page: 1, limit: 2, total: 5, totalPages: 3 });
    expect(page1.body.data.products.map((p: { sku: string }) => p.sku)).toEqual(['MINE-4', 'MINE-3']);
    expect(page3.body.data.products.map((p: { sku: string }) => p.sku)).toEqual(['MINE-0']);

    const all = await t.http().get('/api/products?limit=100').set('Authorization', `Bearer ${token}`).expect(200);
    expect(all.body.data.products.map((p: { sku: string }) => p.sku).sort()).toEqual([...skus].sort());
  });

  it('answers 404 for a product of another workspace, exactly as for one that does not exist', async () => {
    const theirs = await t.given.product((await t.given.workspace()).id);
    const { token } = await t.given.loggedIn();
    const foreign = await t.http().get(`/api/products/${theirs.id}`).set('Authorization', `Bearer ${token}`).expect(404);
    const missing = await t.http().get('/api/products/507f1f77bcf86cd799439099').set('Authorization', `Bearer ${token}`).expect(404);
    expect(foreign.body).toEqual({ success: false, message: 'Product not found' });
    expect(missing.body).toEqual(foreign.body);
  });

  it('validates ids, bodies and pagination', async () => {
    const { token } = await t.given.loggedIn();
    const auth = { Authorization: `Bearer ${token}` };
    expect((await t.http().get('/api/products/not-an-id').set(auth).expect(400)).body).toEqual({ success: false, message: 'Invalid product id format' });
    expect((await t.http().get('/api/products?limit=101').set(auth).expect(400)).body.message).toBe('limit must not be greater than 100');
    expect((await t.http().get('/api/products?page=zero').set(auth).expect(400)).body.message).toMatch(/^page must be an integer/);
    const bad = await t.http().post('/api/products').set(auth).send({ title: 42, imageUrls: ['ftp://x'] }).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['imageUrls', 'sku', 'title']);
  });

  it('refuses image URLs in the IPv6 forms that reach a local IPv4 address, and site-local ones', async () => {
    const { token } = await t.given.loggedIn();
    const auth = { Authorization: `Bearer ${token}` };
    for (const url of ['http://[::127.0.0.1]/a.jpg', 'http://[64:ff9b::7f00:1]/a.jpg', 'http://[2002:7f00:1::]/a.jpg', 'http://[fec0::1]/a.jpg', 'http://[64:ff9b::a9fe:a9fe]/latest']) {
      const response = await t.http().post('/api/products').set(auth).send({ title: 'Internal', sku: 'V6-1', imageUrls: ['https://example.com/ok.jpg', url] });
      expect({ url, status: response.status, errors: response.body.errors }).toEqual({
        url, status: 400, errors: [{ field: 'imageUrls.1', messages: ['imageUrls must not point at loopback, private or link-local addresses'] }],
      });
    }
    await t.http().post('/api/products').set(auth).send({ title: 'Public', sku: 'V6-2', imageUrls: ['http://[64:ff9b::5db8:d822]/a.jpg', 'http://[2606:4700::1111]/a.jpg'] }).expect(201);
  });

  it('refuses a second product with the same SKU in a workspace (409) but allows it in another', async () => {
    const { user, token } = await t.given.loggedIn();
    await t.given.product(user.workspaceId!, { sku: 'DUP-1' });
    const response = await t.http().post('/api/products').set('Authorization', `Bearer ${token}`)
      .send({ title: 'Again', sku: 'DUP-1' }).expect(409);
    expect(response.body).toEqual({ success: false, message: 'A product with sku DUP-1 already exists' });

    const other = await t.given.loggedIn();
    await t.http().post('/api/products').set('Authorization', `Bearer ${other.token}`).send({ title: 'Same sku elsewhere', sku: 'DUP-1' }).expect(201);
  });

  it('needs a workspace: a superadmin without one gets 403, an anonymous caller 401', async () => {
    const { token } = await t.given.loggedIn({ role: Role.SuperAdmin });
    const response = await t.http().get('/api/products').set('Authorization', `Bearer ${token}`).expect(403);
    expect(response.body).toEqual({ success: false, message: 'This action requires a workspace' });
    await t.http().get('/api/products').expect(401);
  });
});
