import { BadRequestException, Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, CurrentUser } from '../common/auth.decorators.js';
import { AuthenticatedUser } from '../common/authenticated-user.js';
import { Role } from '../common/role.enum.js';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { workspaceScope } from '../common/workspace-scope.js';
import { ok, pagination, SuccessEnvelope } from '../common/envelope.js';
import { ParseObjectIdPipe } from '../common/object-id.js';
import { pageWindow } from '../common/pagination.dto.js';
import {
  CreateWebhookEndpointDto,
  EndpointOverviewListDto,
  EndpointOverviewQueryDto,
  OVERVIEW_ATTEMPTS,
  ListAttemptsQueryDto,
  ListWebhookEndpointsQueryDto,
  RecoverMessagesDto,
  RedeliveryResponseDto,
  toEndpointOverviewItem,
  toWebhookAttemptResponse,
  toWebhookEndpointResponse,
  UpdateWebhookEndpointDto,
  WebhookAttemptListDto,
  WebhookEndpointListDto,
  WebhookEndpointResponseDto,
  WebhookEndpointWithSecretDto,
  WorkspaceScopeQueryDto,
} from './webhook-endpoint.dto.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';

const EndpointIdPipe = new ParseObjectIdPipe('Invalid webhook endpoint id format');
const MESSAGE_ID = /^msg_[0-9a-f]{32}$/;

/**
 * A workspace's webhook endpoints: its users read them, its producers (and superadmins) change
 * them; another workspace's endpoint is a 404. A superadmin passes `workspaceId`.
 */
@ApiTags('webhook-endpoints')
@Controller('api/webhook-endpoints')
@Auth()
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  /** Register an endpoint; the answer carries its signing secret, shown this once. */
  @Post()
  @Auth(Role.Producer, Role.SuperAdmin)
  @ApiEnvelopeResponse(WebhookEndpointWithSecretDto, { status: HttpStatus.CREATED })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: WorkspaceScopeQueryDto,
    @Body() dto: CreateWebhookEndpointDto,
  ): Promise<SuccessEnvelope<WebhookEndpointWithSecretDto>> {
    const { endpoint, secret } = await this.endpoints.create(workspaceScope(user, query.workspaceId), {
      url: dto.url,
      eventTypes: dto.eventTypes,
      description: dto.description,
    });
    return ok({ ...toWebhookEndpointResponse(endpoint), secret });
  }

  /** The workspace's endpoints, newest first (never their secrets). */
  @Get()
  @ApiEnvelopeResponse(WebhookEndpointListDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN)
  async list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListWebhookEndpointsQueryDto,
  ): Promise<SuccessEnvelope<WebhookEndpointListDto>> {
    const { page, limit, skip } = pageWindow(query);
    const { endpoints, total } = await this.endpoints.list(workspaceScope(user, query.workspaceId), skip, limit);
    return ok({ endpoints: endpoints.map(toWebhookEndpointResponse), pagination: pagination(page, limit, total) });
  }

  /**
   * Superadmins: every workspace's endpoints, failing ones first (failing longest first), each
   * with `failingSince`, its pending messages and next attempt, and its latest attempts with their
   * HTTP codes (the dashboard's customer endpoints panel).
   */
  @Get('overview')
  @Auth(Role.SuperAdmin)
  @ApiEnvelopeResponse(EndpointOverviewListDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  async overview(@Query() query: EndpointOverviewQueryDto): Promise<SuccessEnvelope<EndpointOverviewListDto>> {
    const { page, limit, skip } = pageWindow(query);
    const { endpoints, total } = await this.endpoints.overview(skip, limit, OVERVIEW_ATTEMPTS);
    return ok({
      endpoints: endpoints.map(({ endpoint, pending, attempts }) => toEndpointOverviewItem(endpoint, pending, attempts)),
      pagination: pagination(page, limit, total),
    });
  }

  @Get(':id')
  @ApiEnvelopeResponse(WebhookEndpointResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN, HttpStatus.NOT_FOUND)
  async findOne(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', EndpointIdPipe) id: string,
    @Query() query: WorkspaceScopeQueryDto,
  ): Promise<SuccessEnvelope<WebhookEndpointResponseDto>> {
    return ok(toWebhookEndpointResponse(await this.endpoints.get(workspaceScope(user, query.workspaceId), id)));
  }

  /** Change the URL, the events or the description; `enabled: false` stops deliveries, `true` resumes them. */
  @Patch(':id')
  @Auth(Role.Producer, Role.SuperAdmin)
  @ApiEnvelopeResponse(WebhookEndpointResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async update(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', EndpointIdPipe) id: string,
    @Query() query: WorkspaceScopeQueryDto,
    @Body() dto: UpdateWebhookEndpointDto,
  ): Promise<SuccessEnvelope<WebhookEndpointResponseDto>> {
    const endpoint = await this.endpoints.update(workspaceScope(user, query.workspaceId), id, {
      url: dto.url,
      eventTypes: dto.eventTypes,
      description: dto.description,
      enabled: dto.enabled,
    });
    return ok(toWebhookEndpointResponse(endpoint));
  }

  /** Delete the endpoint, with its messages and delivery log. */
  @Delete(':id')
  @Auth(Role.Producer, Role.SuperAdmin)
  @ApiEnvelopeResponse(WebhookEndpointResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async remove(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', EndpointIdPipe) id: string,
    @Query() query: WorkspaceScopeQueryDto,
  ): Promise<SuccessEnvelope<WebhookEndpointResponseDto>> {
    const workspaceId = workspaceScope(user, query.workspaceId);
    const endpoint = await this.endpoints.get(workspaceId, id);
    await this.endpoints.delete(workspaceId, id);
    return ok(toWebhookEndpointResponse(endpoint), 'Webhook endpoint deleted');
  }

  /** A new signing secret, shown this once; the previous one goes on signing beside it for 24 hours. */
  @Post(':id/rotate-secret')
  @HttpCode(HttpStatus.OK)
  @Auth(Role.Producer, Role.SuperAdmin)
  @ApiEnvelopeResponse(WebhookEndpointWithSecretDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async rotateSecret(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', EndpointIdPipe) id: string,
    @Query() query: WorkspaceScopeQueryDto,
  ): Promise<SuccessEnvelope<WebhookEndpointWithSecretDto>> {
    const { endpoint, secret } = await this.endpoints.rotateSecret(workspaceScope(user, query.workspaceId), id);
    return ok({ ...toWebhookEndpointResponse(endpoint), secret });
  }

  /** Every delivery attempt to this endpoint, newest first; `status` keeps the failed or the succeeded ones. */
  @Get(':id/attempts')
  @ApiEnvelopeResponse(WebhookAttemptListDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN, HttpStatus.NOT_FOUND)
  async attempts(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', EndpointIdPipe) id: string,
    @Query() query: ListAttemptsQueryDto,
  ): Promise<SuccessEnvelope<WebhookAttemptListDto>> {
    const { page, limit, skip } = pageWindow(query);
    const { attempts, total } = await this.endpoints.listAttempts(workspaceScope(user, query.workspaceId), id, { status: query.status }, skip, limit);
    return ok({ attempts: attempts.map(toWebhookAttemptResponse), pagination: pagination(page, limit, total) });
  }

  /** Send one message again, once, with the same webhook-id (through the job runner: 202). */
  @Post(':id/messages/:messageId/redeliver')
  @HttpCode(HttpStatus.ACCEPTED)
  @Auth(Role.Producer, Role.SuperAdmin)
  @ApiEnvelopeResponse(RedeliveryResponseDto, { status: HttpStatus.ACCEPTED })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  async redeliver(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', EndpointIdPipe) id: string,
    @Param('messageId') messageId: string,
    @Query() query: WorkspaceScopeQueryDto,
  ): Promise<SuccessEnvelope<RedeliveryResponseDto>> {
    if (!MESSAGE_ID.test(messageId)) throw new BadRequestException('Invalid messageId format');
    await this.endpoints.redeliver(workspaceScope(user, query.workspaceId), id, messageId);
    return ok({ messageIds: [messageId] }, 'Redelivery queued');
  }

  /** Send again, once each, every message to this endpoint that failed for good since a time (at most 1000 a request). */
  @Post(':id/recover')
  @HttpCode(HttpStatus.ACCEPTED)
  @Auth(Role.Producer, Role.SuperAdmin)
  @ApiEnvelopeResponse(RedeliveryResponseDto, { status: HttpStatus.ACCEPTED })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  async recover(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', EndpointIdPipe) id: string,
    @Query() query: WorkspaceScopeQueryDto,
    @Body() dto: RecoverMessagesDto,
  ): Promise<SuccessEnvelope<RedeliveryResponseDto>> {
    const messageIds = await this.endpoints.recover(workspaceScope(user, query.workspaceId), id, new Date(dto.since));
    return ok({ messageIds }, `${messageIds.length} message(s) queued`);
  }
}
