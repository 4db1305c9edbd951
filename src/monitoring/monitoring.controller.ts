import { Controller, Get, Headers, HttpStatus, Inject, Query, Res } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiOkResponse, ApiProduces, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Auth } from '../common/auth.decorators.js';
import { Role } from '../common/role.enum.js';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, SuccessEnvelope } from '../common/envelope.js';
import { monitoringStreamConfig, type MonitoringStreamConfig } from './monitoring.config.js';
import { MonitoringStreamService } from './monitoring-stream.service.js';
import { MonitoringSummaryService } from './monitoring-summary.service.js';
import {
  MonitoringStreamQueryDto,
  MonitoringSummaryDto,
  MonitoringSummaryQueryDto,
  StreamCountersDto,
  StreamDeliveryDto,
  StreamReadyDto,
} from './monitoring.dto.js';
import { StreamCursor } from './stream-cursor.js';

/** The dashboard's API (superadmins only): its numbers for a window, and the live stream. */
@ApiTags('monitoring')
@Controller('api/monitoring')
@Auth(Role.SuperAdmin)
export class MonitoringController {
  constructor(
    private readonly summaries: MonitoringSummaryService,
    private readonly streams: MonitoringStreamService,
    @Inject(monitoringStreamConfig.KEY) private readonly config: MonitoringStreamConfig,
  ) {}

  /**
   * Videos and reels created in the window by status, the job queue, the videos generating
   * longest and the most frequent failure reasons; optionally for one workspace.
   */
  @Get('summary')
  @ApiEnvelopeResponse(MonitoringSummaryDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  async summary(@Query() query: MonitoringSummaryQueryDto): Promise<SuccessEnvelope<MonitoringSummaryDto>> {
    return ok(await this.summaries.summary(query));
  }

  /**
   * Server-sent events: `delivery` for each webhook delivery stored from now on (by any
   * instance), `counters` on connect and when a number changes, `ready` once up to date, and a
   * heartbeat comment. Send the last `id:` received as `Last-Event-ID` to resume without gaps.
   */
  @Get('stream')
  @ApiProduces('text/event-stream')
  @ApiExtraModels(StreamDeliveryDto, StreamCountersDto, StreamReadyDto)
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The last `id:` received, to resume after it.' })
  @ApiOkResponse({
    description: 'An endless text/event-stream',
    content: {
      'text/event-stream': {
        schema: { oneOf: [StreamDeliveryDto, StreamCountersDto, StreamReadyDto].map((model) => ({ $ref: getSchemaPath(model) })) },
      },
    },
  })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  stream(
    @Query() query: MonitoringStreamQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): void {
    // Refused here, before anything is written, so a bad id gets the usual error envelope.
    const cursor = lastEventId ? StreamCursor.decode(lastEventId, this.config.overlapMs) : undefined;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    // The heartbeat keeps the connection busy; the idle-connection timeout is for other requests.
    raw.socket?.setTimeout(0);
    raw.flushHeaders();
    const stop = this.streams.subscribe(
      {
        write: (chunk) => raw.write(chunk),
        get backlog() {
          return raw.writableLength;
        },
        end: () => raw.end(),
      },
      { workspaceId: query.workspaceId, cursor },
    );
    raw.once('close', stop);
  }
}
