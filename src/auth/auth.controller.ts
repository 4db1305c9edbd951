import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, SuccessEnvelope } from '../common/envelope.js';
import { AuthenticatedUser } from './authenticated-user.js';
import { Auth, CurrentUser, Public } from './auth.decorators.js';
import { LoginDto, LoginResponseDto, MeResponseDto } from './auth.dto.js';
import { AuthService } from './auth.service.js';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Exchange email and password for a bearer token. */
  @Post('login')
  @Public()
  @HttpCode(HttpStatus.OK)
  @ApiEnvelopeResponse(LoginResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.UNAUTHORIZED, HttpStatus.TOO_MANY_REQUESTS)
  async login(@Body() dto: LoginDto): Promise<SuccessEnvelope<LoginResponseDto>> {
    return ok(await this.auth.login(dto.email, dto.password));
  }

  /** Who the bearer token belongs to. */
  @Get('me')
  @Auth()
  @ApiEnvelopeResponse(MeResponseDto)
  me(@CurrentUser() user: AuthenticatedUser): SuccessEnvelope<MeResponseDto> {
    return ok({ userId: user.userId, email: user.email, role: user.role, workspaceId: user.workspaceId });
  }
}
