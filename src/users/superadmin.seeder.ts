import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Role } from '../common/role.enum.js';
import { usersConfig, type UsersConfig } from './users.config.js';
import { isDuplicateKeyError } from '../common/mongo-errors.js';
import { PasswordHasher } from './password-hasher.js';
import { UserRepository } from './user.repository.js';

/** Creates the first superadmin from SUPERADMIN_EMAIL / SUPERADMIN_PASSWORD when none exists. */
@Injectable()
export class SuperadminSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(SuperadminSeeder.name);

  constructor(
    @Inject(usersConfig.KEY) private readonly config: UsersConfig,
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const seed = this.config.superadmin;
    if (await this.users.existsWithRole(Role.SuperAdmin)) return;
    if (!seed) {
      this.logger.warn('No superadmin exists and SUPERADMIN_EMAIL / SUPERADMIN_PASSWORD are not set');
      return;
    }
    try {
      await this.users.create({
        email: seed.email,
        name: 'Superadmin',
        role: Role.SuperAdmin,
        passwordHash: await this.hasher.hash(seed.password),
      });
      this.logger.log(`Created the first superadmin ${seed.email}`);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Either another instance starting at the same time created it first, or the address
      // already belongs to an ordinary user, who is not promoted.
      if (!(await this.users.existsWithRole(Role.SuperAdmin))) {
        this.logger.warn(`SUPERADMIN_EMAIL ${seed.email} belongs to an existing user; no superadmin was created`);
      }
    }
  }
}
