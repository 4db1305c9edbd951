import { Body, Controller, Get, HttpStatus, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, CurrentUser } from '../common/auth.decorators.js';
import { AuthenticatedUser } from '../common/authenticated-user.js';
import { Role } from '../common/role.enum.js';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, pagination, SuccessEnvelope } from '../common/envelope.js';
import { ParseObjectIdPipe } from '../common/object-id.js';
import { pageWindow, PaginationQueryDto } from '../common/pagination.dto.js';
import { CreateWorkspaceDto, toWorkspaceResponse, WorkspaceListDto, WorkspaceResponseDto } from './workspace.dto.js';
import { WorkspaceRepository } from './workspace.repository.js';

@ApiTags('workspaces')
@Controller('api/workspaces')
export class WorkspacesController {
  constructor(private readonly workspaces: WorkspaceRepository) {}

  /** Create a workspace with its subscription plan (superadmin only). */
  @Post()
  @Auth(Role.SuperAdmin)
  @ApiEnvelopeResponse(WorkspaceResponseDto, { status: HttpStatus.CREATED })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  async create(@Body() dto: CreateWorkspaceDto): Promise<SuccessEnvelope<WorkspaceResponseDto>> {
    return ok(toWorkspaceResponse(await this.workspaces.create(dto.name, dto.plan)));
  }

  /** List workspaces, newest first (superadmin only). */
  @Get()
  @Auth(Role.SuperAdmin)
  @ApiEnvelopeResponse(WorkspaceListDto)
  async list(@Query() query: PaginationQueryDto): Promise<SuccessEnvelope<WorkspaceListDto>> {
    const { page, limit, skip } = pageWindow(query);
    const { workspaces, total } = await this.workspaces.list(skip, limit);
    return ok({
      workspaces: workspaces.map((workspace) => toWorkspaceResponse(workspace)),
      pagination: pagination(page, limit, total),
    });
  }

  /** The caller's own workspace, with this month's usage. */
  @Get('current')
  @Auth()
  @ApiEnvelopeResponse(WorkspaceResponseDto)
  @ApiErrorResponses(HttpStatus.NOT_FOUND)
  async current(@CurrentUser() user: AuthenticatedUser): Promise<SuccessEnvelope<WorkspaceResponseDto>> {
    const workspace = user.workspaceId ? await this.workspaces.findById(user.workspaceId) : null;
    if (!workspace) throw new NotFoundException('Workspace not found');
    return ok(toWorkspaceResponse(workspace));
  }

  /** One workspace by id (superadmin only). */
  @Get(':id')
  @Auth(Role.SuperAdmin)
  @ApiEnvelopeResponse(WorkspaceResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async findOne(
    @Param('id', new ParseObjectIdPipe('Invalid workspace id format')) id: string,
  ): Promise<SuccessEnvelope<WorkspaceResponseDto>> {
    const workspace = await this.workspaces.findById(id);
    if (!workspace) throw new NotFoundException('Workspace not found');
    return ok(toWorkspaceResponse(workspace));
  }
}
