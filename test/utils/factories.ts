import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { Role } from '../../src/common/role.enum.js';
import { ProductRecord, ProductRepository } from '../../src/products/product.repository.js';
import { PasswordHasher } from '../../src/users/password-hasher.js';
import { UserRecord, UserRepository } from '../../src/users/user.repository.js';
import { WorkspaceRecord, WorkspaceRepository } from '../../src/workspaces/workspace.repository.js';

const unique = () => randomBytes(4).toString('hex');

/** Small factories: each test creates exactly the data it needs, through the real repositories. */
export class Factories {
  constructor(private readonly app: INestApplication) {}

  workspace(overrides: { name?: string; monthlyVideoLimit?: number; planName?: string } = {}): Promise<WorkspaceRecord> {
    return this.app.get(WorkspaceRepository).create(overrides.name ?? `Workspace ${unique()}`, {
      name: overrides.planName ?? 'starter',
      monthlyVideoLimit: overrides.monthlyVideoLimit ?? 100,
    });
  }

  async user(
    overrides: { role?: Role; workspaceId?: string; email?: string; password?: string } = {},
  ): Promise<UserRecord & { password: string }> {
    const role = overrides.role ?? Role.User;
    const workspaceId =
      overrides.workspaceId ?? (role === Role.SuperAdmin ? undefined : (await this.workspace()).id);
    const password = overrides.password ?? `password-${unique()}-long`;
    const user = await this.app.get(UserRepository).create({
      email: overrides.email ?? `${role}-${unique()}@example.com`,
      name: `Test ${role}`,
      role,
      workspaceId,
      passwordHash: await this.app.get(PasswordHasher).hash(password),
    });
    return { ...user, password };
  }

  product(workspaceId: string, overrides: Partial<{ title: string; sku: string; imageUrls: string[] }> = {}): Promise<ProductRecord> {
    return this.app.get(ProductRepository).create(workspaceId, {
      title: overrides.title ?? `Product ${unique()}`,
      sku: overrides.sku ?? `SKU-${unique()}`,
      imageUrls: overrides.imageUrls ?? ['https://example.com/image1.jpg'],
    });
  }

  /** Logs in through the real endpoint and returns the bearer token. */
  async token(user: { email: string; password: string }): Promise<string> {
    const response = await request(this.app.getHttpServer())
      .post('/api/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    return response.body.data.accessToken as string;
  }

  /** A user (of a new workspace unless given one) and their token. */
  async loggedIn(overrides: { role?: Role; workspaceId?: string } = {}) {
    const user = await this.user(overrides);
    return { user, token: await this.token(user) };
  }

  /**
   * `count` videos, one for each of `count` new products of a new workspace, through the real
   * bulk-generate (so they are `generating` and RCK has been asked), by a user of that workspace.
   */
  async videos(count: number, overrides: { monthlyVideoLimit?: number } = {}) {
    const workspace = await this.workspace({ monthlyVideoLimit: overrides.monthlyVideoLimit ?? Math.max(100, count) });
    const { token } = await this.loggedIn({ workspaceId: workspace.id });
    const products: ProductRecord[] = [];
    for (let i = 0; i < count; i++) products.push(await this.product(workspace.id));
    const response = await request(this.app.getHttpServer())
      .post('/api/videos/bulk-generate')
      .set('Authorization', `Bearer ${token}`)
      .send({ productIds: products.map((p) => p.id), templateId: 'template_001', templateName: 'Product Showcase' })
      .expect(201);
    return { workspace, token, products, ids: response.body.data.videoIds as string[] };
  }
}
