import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { jwtConfig, type JwtConfig } from './jwt.config.js';
import { UserRepository } from '../users/user.repository.js';
import { AuthenticatedUser, JwtPayload } from '../common/authenticated-user.js';

/**
 * `Authorization: Bearer <token>` and nothing else: passport-jwt's own extractor takes the first
 * word after the scheme and ignores whatever follows it.
 */
const BEARER = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/i;

function bearerToken(request: { headers?: Record<string, unknown> }): string | null {
  const header = request.headers?.authorization;
  return typeof header === 'string' ? (BEARER.exec(header)?.[1] ?? null) : null;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(
    @Inject(jwtConfig.KEY) config: JwtConfig,
    private readonly users: UserRepository,
  ) {
    super({
      jwtFromRequest: bearerToken,
      ignoreExpiration: false,
      secretOrKey: config.secret,
      algorithms: ['HS256'],
    });
  }

  /**
   * The token is only as good as the account behind it: a deleted or disabled user is refused.
   * So is a token that never expires (the verifier checks `exp` only when there is one).
   */
  async validate(payload: JwtPayload & { exp?: unknown }): Promise<AuthenticatedUser> {
    if (typeof payload.exp !== 'number') throw new UnauthorizedException('Invalid or expired token');
    const user = await this.users.findActiveById(payload.sub);
    if (!user) throw new UnauthorizedException('Invalid or expired token');
    return { userId: user.id, email: user.email, role: user.role, workspaceId: user.workspaceId };
  }
}
