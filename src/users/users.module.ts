import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { WorkspacesModule } from '../workspaces/workspaces.module.js';
import { PasswordHasher } from './password-hasher.js';
import { SuperadminSeeder } from './superadmin.seeder.js';
import { User, UserSchema } from './user.schema.js';
import { UserRepository } from './user.repository.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [MongooseModule.forFeature([{ name: User.name, schema: UserSchema }]), WorkspacesModule],
  controllers: [UsersController],
  providers: [UserRepository, UsersService, PasswordHasher, SuperadminSeeder],
  exports: [UserRepository, PasswordHasher],
})
export class UsersModule {}
