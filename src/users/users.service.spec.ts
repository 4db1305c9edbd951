import { describe, it } from 'node:test';
import { expect } from 'expect';
import { BadRequestException, ConflictException } from '@nestjs/common';
import { Role } from '../common/role.enum.js';
import { WorkspaceRepository } from '../workspaces/workspace.repository.js';
import { PasswordHasher } from './password-hasher.js';
import { NewUser, UserRecord, UserRepository } from './user.repository.js';
import { UsersService } from './users.service.js';

/** Unit tier: the service's rules, with its repositories replaced by small fakes. */
function givenService(options: { workspaceExists?: boolean; createFails?: unknown } = {}) {
  const created: NewUser[] = [];
  const users = {
    create: async (user: NewUser): Promise<UserRecord> => {
      if (options.createFails) throw options.createFails;
      created.push(user);
      return { ...user, id: 'u1', active: true, createdAt: new Date(), updatedAt: new Date() };
    },
  } as unknown as UserRepository;
  const workspaces = { exists: async () => options.workspaceExists ?? true } as unknown as WorkspaceRepository;
  const hasher = { hash: async (password: string) => `hashed:${password}` } as unknown as PasswordHasher;
  return { service: new UsersService(users, workspaces, hasher), created };
}

const base = { email: 'a@b.co', name: 'A', password: 'long-enough-password' };

describe('UsersService (unit)', () => {
  it('stores a hash, never the password', async () => {
    const { service, created } = givenService();
    await service.create({ ...base, role: Role.User, workspaceId: '507f1f77bcf86cd799439011' });
    expect(created).toEqual([expect.objectContaining({ passwordHash: 'hashed:long-enough-password' })]);
    expect(JSON.stringify(created)).not.toContain('"password"');
  });

  it('requires an existing workspace for every role but superadmin', async () => {
    await expect(givenService().service.create({ ...base, role: Role.Producer })).rejects.toThrow(BadRequestException);
    await expect(
      givenService({ workspaceExists: false }).service.create({ ...base, role: Role.User, workspaceId: '507f1f77bcf86cd799439011' }),
    ).rejects.toThrow('Workspace not found');
    const { service, created } = givenService();
    await service.create({ ...base, role: Role.SuperAdmin });
    expect(created[0].workspaceId).toBeUndefined();
  });

  it('turns a duplicate email into a 409 and lets other errors through', async () => {
    const duplicate = Object.assign(new Error('E11000'), { code: 11000 });
    await expect(givenService({ createFails: duplicate }).service.create({ ...base, role: Role.SuperAdmin })).rejects.toThrow(ConflictException);
    const other = new Error('connection lost');
    await expect(givenService({ createFails: other }).service.create({ ...base, role: Role.SuperAdmin })).rejects.toBe(other);
  });
});
