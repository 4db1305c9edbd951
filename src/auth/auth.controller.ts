import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Ip, Param, Post, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { normalizeIp, ThrottlerGuard } from '@nestjs/throttler';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, SuccessEnvelope } from '../common/envelope.js';
import { AuthenticatedUser } from '../common/authenticated-user.js';
import { Auth, CurrentUser, Public } from '../common/auth.decorators.js';
import { LoginDto, LoginLockParamsDto, LoginLocksLiftedDto, LoginResponseDto, MeResponseDto } from './auth.dto.js';
import { Role } from '../common/role.enum.js';
import { AuthService } from './auth.service.js';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /**
   * Exchange email and password for a bearer token. Limited per client address
   * (LOGIN_RATE_LIMIT_MAX per LOGIN_RATE_LIMIT_WINDOW_SECONDS) before anything else is checked,
   * and per email and address (LOGIN_MAX_FAILURES) before the password is checked.
   */
  @Post('login')
  @Public()
  @UseGuards(ThrottlerGuard)
  @HttpCode(HttpStatus.OK)
  @ApiEnvelopeResponse(LoginResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.UNAUTHORIZED, HttpStatus.TOO_MANY_REQUESTS)
  async login(@Body() dto: LoginDto, @Ip() ip: string): Promise<SuccessEnvelope<LoginResponseDto>> {
    return ok(await this.auth.login(dto.email, dto.password, normalizeIp(ip)));
  }

  /** Lift the failed-login locks on an email, from every address (superadmin only). */
  @Delete('login-locks/:email')
  @Auth(Role.SuperAdmin)
  @ApiEnvelopeResponse(LoginLocksLiftedDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  async liftLoginLocks(@Param() params: LoginLockParamsDto): Promise<SuccessEnvelope<LoginLocksLiftedDto>> {
    return ok(await this.auth.liftLoginLocks(params.email));
  }

  /** Who the bearer token belongs to. */
  @Get('me')
  @Auth()
  @ApiEnvelopeResponse(MeResponseDto)
  me(@CurrentUser() user: AuthenticatedUser): SuccessEnvelope<MeResponseDto> {
    return ok({ userId: user.userId, email: user.email, role: user.role, workspaceId: user.workspaceId });
  }
}
