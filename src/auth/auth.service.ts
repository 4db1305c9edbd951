import { Inject, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { errorMessage } from '../common/error-message.js';
import { jwtConfig, type JwtConfig } from './jwt.config.js';
import { loginConfig, type LoginConfig } from './login.config.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { toUserResponse } from '../users/user.dto.js';
import { UserRepository } from '../users/user.repository.js';
import { TooManyRequestsException } from '../common/too-many-requests.exception.js';
import { JwtPayload } from '../common/authenticated-user.js';
import { LoginAttemptRepository } from './login-attempt.repository.js';
import { LoginResponseDto } from './auth.dto.js';

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    @Inject(jwtConfig.KEY) private readonly jwtConfig: JwtConfig,
    @Inject(loginConfig.KEY) private readonly loginConfig: LoginConfig,
    private readonly attempts: LoginAttemptRepository,
  ) {}

  /**
   * One message for unknown email and wrong password, so the answer does not reveal which.
   * Attempts are counted per email (known or not) and client address before the password is
   * checked; once that pair has used up its failures in the window it gets 429 until the window
   * ends, without its password being checked. A successful login clears the count. (Guesses
   * over many emails are bounded per address by the rate limit in front of this.)
   */
  async login(email: string, password: string, clientAddress: string, now = new Date()): Promise<LoginResponseDto> {
    const { maxFailures, windowMs } = this.loginConfig.throttle;
    const { attempts, windowEndsAt } = await this.attempts.countAttempt(email, clientAddress, windowMs, now);
    if (attempts > maxFailures) {
      const retryAfterSeconds = Math.max(1, Math.ceil((windowEndsAt.getTime() - now.getTime()) / 1000));
      throw new TooManyRequestsException('Too many failed login attempts; try again later', retryAfterSeconds);
    }
    const user = await this.users.findForLogin(email);
    const valid = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !valid) throw new UnauthorizedException('Invalid email or password');
    await this.attempts.clear(email, clientAddress);
    if (this.hasher.needsRehash(user.passwordHash)) void this.rehash(user.id, user.passwordHash, password);
    const payload: JwtPayload = { sub: user.id, email: user.email, role: user.role, workspaceId: user.workspaceId };
    return {
      accessToken: await this.jwt.signAsync(payload),
      tokenType: 'Bearer',
      expiresIn: this.jwtConfig.expiresInSeconds,
      user: toUserResponse(user),
    };
  }

  /** For a superadmin: lets an email in again from every address. */
  async liftLoginLocks(email: string): Promise<{ email: string; addressesUnlocked: number }> {
    return { email, addressesUnlocked: await this.attempts.clearAllFor(email) };
  }

  /**
   * Replaces a hash made with older parameters, after the answer (the password just verified):
   * only if it is still the stored one, so a password changed meanwhile is kept.
   */
  private async rehash(userId: string, oldHash: string, password: string): Promise<void> {
    try {
      await this.users.replacePasswordHash(userId, oldHash, await this.hasher.hash(password));
    } catch (error) {
      this.logger.warn(`User ${userId}: the password hash was not upgraded (${errorMessage(error)}); tried again at the next sign-in`);
    }
  }
}
