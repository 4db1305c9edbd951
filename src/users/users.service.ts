import { BadRequestException, ConflictException, Injectable } from '@nestjs/common';
import { Role } from '../common/role.enum.js';
import { isDuplicateKeyError } from '../common/mongo-errors.js';
import { WorkspaceRepository } from '../workspaces/workspace.repository.js';
import { PasswordHasher } from './password-hasher.js';
import { CreateUserDto } from './user.dto.js';
import { UserRecord, UserRepository } from './user.repository.js';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UserRepository,
    private readonly workspaces: WorkspaceRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async create(dto: CreateUserDto): Promise<UserRecord> {
    if (dto.role !== Role.SuperAdmin && !dto.workspaceId) {
      throw new BadRequestException(`workspaceId is required for role ${dto.role}`);
    }
    if (dto.workspaceId && !(await this.workspaces.exists(dto.workspaceId))) {
      throw new BadRequestException('Workspace not found');
    }
    try {
      return await this.users.create({
        email: dto.email,
        name: dto.name,
        role: dto.role,
        workspaceId: dto.workspaceId,
        passwordHash: await this.hasher.hash(dto.password),
      });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new ConflictException('A user with this email already exists');
      throw error;
    }
  }

  list(skip: number, limit: number): Promise<{ users: UserRecord[]; total: number }> {
    return this.users.list(skip, limit);
  }
}
