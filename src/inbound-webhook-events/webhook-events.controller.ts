import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth } from '../common/auth.decorators.js';
import { Role } from '../common/role.enum.js';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, pagination, SuccessEnvelope } from '../common/envelope.js';
import { ParseObjectIdPipe } from '../common/object-id.js';
import { pageWindow } from '../common/pagination.dto.js';
import {
  BulkReplayResultDto,
  ListWebhookEventsQueryDto,
  ReplayPreviewDto,
  ReplayWebhookEventsDto,
  toWebhookEventDetail,
  toWebhookEventResponse,
  WebhookEventDetailDto,
  WebhookEventFiltersDto,
  WebhookEventListDto,
  WebhookEventStatsDto,
  WebhookEventStatsQueryDto,
  WebhookReplayResultDto,
} from './webhook-event.dto.js';
import { webhookEventsConfig, type WebhookEventsConfig } from './webhook-events.config.js';
import { toFilter, WebhookEventsService } from './webhook-events.service.js';
import { WebhookReplayService } from './webhook-replay.service.js';

const EventIdPipe = new ParseObjectIdPipe('Invalid webhook event id format');

/**
 * The event log's queries, statistics and replay, superadmins only
 * (docs/contracts/webhook-events.md).
 */
@ApiTags('webhook-events')
@Controller('api/webhook-events')
@Auth(Role.SuperAdmin)
export class WebhookEventsController {
  constructor(
    private readonly events: WebhookEventsService,
    private readonly replays: WebhookReplayService,
    @Inject(webhookEventsConfig.KEY) private readonly config: WebhookEventsConfig,
  ) {}

  /** Every recorded delivery, newest first, with `page` / `limit` / `endpoint` and more filters. */
  @Get()
  @ApiEnvelopeResponse(WebhookEventListDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  async list(@Query() query: ListWebhookEventsQueryDto): Promise<SuccessEnvelope<WebhookEventListDto>> {
    const { page, limit, skip } = pageWindow(query);
    const { events, total } = await this.events.list(query, skip, limit);
    const reasons = await this.replays.whyNotReplayable(events);
    return ok({ events: events.map((event, i) => toWebhookEventDetail(event, reasons[i])), pagination: pagination(page, limit, total) });
  }

  /**
   * Deliveries per source and status, videos reported finished or failed and the rate, generation
   * time (average, p95), volume per day / week / month and refused deliveries, for `from` / `to`
   * (default: the last 30 days), optionally of one workspace (`workspaceId`). With a workspace,
   * refused deliveries are not counted: they were refused before their video was known, so none
   * has a workspace.
   */
  @Get('stats')
  @ApiEnvelopeResponse(WebhookEventStatsDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  async stats(@Query() query: WebhookEventStatsQueryDto): Promise<SuccessEnvelope<WebhookEventStatsDto>> {
    return ok(await this.events.stats(query));
  }

  /**
   * How many events a bulk replay of these filters (the list's) would queue, and the most one
   * bulk replay takes: the count to confirm before `POST /api/webhook-events/replay`.
   */
  @Get('replayable')
  @ApiEnvelopeResponse(ReplayPreviewDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  async replayable(@Query() query: WebhookEventFiltersDto): Promise<SuccessEnvelope<ReplayPreviewDto>> {
    return ok({ replayable: await this.replays.countMatching(toFilter(query)), max: this.config.replayMaxEvents });
  }

  /** One event; `Webhook event not found` otherwise. */
  @Get(':id')
  @ApiEnvelopeResponse(WebhookEventDetailDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async findOne(@Param('id', EventIdPipe) id: string): Promise<SuccessEnvelope<WebhookEventDetailDto>> {
    const event = await this.events.get(id);
    const [reason] = await this.replays.whyNotReplayable([event]);
    return ok(toWebhookEventDetail(event, reason));
  }

  /**
   * Queue every event matching the filters for replay in the background (e.g. every failed
   * delivery since T), oldest first; answers how many were queued. Deliveries whose signature
   * failed are left out.
   */
  @Post('replay')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiEnvelopeResponse(BulkReplayResultDto, { status: HttpStatus.ACCEPTED, withMessage: true })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  async replayMatching(@Body() dto: ReplayWebhookEventsDto): Promise<SuccessEnvelope<BulkReplayResultDto>> {
    const queued = await this.replays.replayMatching(toFilter(dto));
    return ok({ queued }, `${queued} webhook event(s) queued for replay`);
  }

  /** Run the stored delivery through its handler again (idempotency applies) and record the run with `replayOf`. */
  @Post(':id/replay')
  @HttpCode(HttpStatus.OK)
  @ApiEnvelopeResponse(WebhookReplayResultDto, { withMessage: true })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  async replay(@Param('id', EventIdPipe) id: string): Promise<SuccessEnvelope<WebhookReplayResultDto>> {
    const { event, response } = await this.replays.replay(id);
    return ok({ event: toWebhookEventResponse(event), response }, `Webhook event replayed: ${event.status}`);
  }
}
