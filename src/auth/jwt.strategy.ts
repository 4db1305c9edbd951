import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config.js';
import { UserRepository } from '../users/user.repository.js';
import { AuthenticatedUser, JwtPayload } from './authenticated-user.js';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(
    config: AppConfig,
    private readonly users: UserRepository,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      secretOrKey: config.jwt.secret,
      algorithms: ['HS256'],
    });
  }

  /** The token is only as good as the account behind it: a deleted or disabled user is refused. */
  async validate(payload: JwtPayload): Promise<AuthenticatedUser> {
    const user = await this.users.findActiveById(payload.sub);
    if (!user) throw new UnauthorizedException('Invalid or expired token');
    return { userId: user.id, email: user.email, role: user.role, workspaceId: user.workspaceId };
  }
}
