import { Body, Controller, Get, HttpStatus, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth } from '../common/auth.decorators.js';
import { Role } from '../common/role.enum.js';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, pagination, SuccessEnvelope } from '../common/envelope.js';
import { pageWindow, PaginationQueryDto } from '../common/pagination.dto.js';
import { CreateUserDto, toUserResponse, UserListDto, UserResponseDto } from './user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Controller('api/users')
@Auth(Role.SuperAdmin)
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** Create a user in a workspace (superadmin only). */
  @Post()
  @ApiEnvelopeResponse(UserResponseDto, { status: HttpStatus.CREATED })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.CONFLICT)
  async create(@Body() dto: CreateUserDto): Promise<SuccessEnvelope<UserResponseDto>> {
    return ok(toUserResponse(await this.users.create(dto)));
  }

  /** List users, newest first (superadmin only). */
  @Get()
  @ApiEnvelopeResponse(UserListDto)
  async list(@Query() query: PaginationQueryDto): Promise<SuccessEnvelope<UserListDto>> {
    const { page, limit, skip } = pageWindow(query);
    const { users, total } = await this.users.list(skip, limit);
    return ok({ users: users.map(toUserResponse), pagination: pagination(page, limit, total) });
  }
}
