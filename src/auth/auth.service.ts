import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { toUserResponse } from '../users/user.dto.js';
import { UserRepository } from '../users/user.repository.js';
import { JwtPayload } from './authenticated-user.js';
import { LoginResponseDto } from './auth.dto.js';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  /** One message for unknown email and wrong password, so the answer does not reveal which. */
  async login(email: string, password: string): Promise<LoginResponseDto> {
    const user = await this.users.findForLogin(email);
    const valid = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !valid) throw new UnauthorizedException('Invalid email or password');
    const payload: JwtPayload = { sub: user.id, email: user.email, role: user.role, workspaceId: user.workspaceId };
    return {
      accessToken: await this.jwt.signAsync(payload),
      tokenType: 'Bearer',
      expiresIn: this.config.jwt.expiresInSeconds,
      user: toUserResponse(user),
    };
  }
}
