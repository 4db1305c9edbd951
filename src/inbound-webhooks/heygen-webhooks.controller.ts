import { BadRequestException, Body, Controller, HttpCode, HttpStatus, Logger, OnModuleInit, Options, Post } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, SuccessEnvelope } from '../common/envelope.js';
import { createValidationPipe } from '../common/validation.pipe.js';
import { ReelEventResult, ReelEventsService, reelResultProblem } from '../reels/reel-events.service.js';
import { ReelResult } from '../reels/reel.repository.js';
import { WebhookReplayRegistry } from '../inbound-webhook-events/webhook-replay.registry.js';
import { HeygenOptionsResultDto, HeygenWebhookDto, HeygenWebhookResultDto } from './heygen-webhook.dto.js';
import { WebhookReceiver } from '../inbound-webhook-contract/webhook-receiver.decorator.js';
import { handled, WebhookHandled, WebhookOutcome } from '../inbound-webhook-contract/webhook-handled.js';
import { heldMessage, WebhookHolds } from '../inbound-webhook-contract/webhook-holds.js';

/** Validated against the DTO; fields HeyGen adds later are dropped, not refused. */
const heygenBody = createValidationPipe({ forbidUnknownFields: false, expectedType: HeygenWebhookDto });

/** HeyGen's real names and the specification's (docs/contracts/heygen.md#the-webhook). */
const SUCCESS_EVENTS = new Set(['video.completed', 'avatar_video.success']);
const FAILURE_EVENTS = new Set(['video.failed', 'avatar_video.fail']);

/**
 * HeyGen's webhook (docs/contracts/heygen.md#the-webhook), signed with HeyGen's scheme. Every event
 * HeyGen sends gets a 200 unless it is malformed or unsigned: an unknown video or an event type we
 * do not handle is answered (and recorded by the event log) so HeyGen does not retry forever.
 */
@Controller('api/webhook/heygen')
@WebhookReceiver('heygen')
export class HeygenWebhooksController implements OnModuleInit {
  private readonly logger = new Logger(HeygenWebhooksController.name);

  constructor(
    private readonly events: ReelEventsService,
    private readonly replays: WebhookReplayRegistry,
    private readonly holds: WebhookHolds,
  ) {}

  /**
   * A stored delivery is replayed through the same validation and handling as a live one; never
   * held (a held delivery's release is such a replay).
   */
  onModuleInit(): void {
    this.replays.register('/api/webhook/heygen', async (payload) => this.handle((await heygenBody.transform(payload, { type: 'body', metatype: Object })) as HeygenWebhookDto));
  }

  /** HeyGen's reachability check when an endpoint is registered: answered at once, no database work (HeyGen waits 1 s). */
  @Options()
  @HttpCode(HttpStatus.OK)
  @ApiEnvelopeResponse(HeygenOptionsResultDto, { withMessage: true })
  check(): SuccessEnvelope<HeygenOptionsResultDto> {
    return ok({ endpoint: 'heygen' }, 'HeyGen webhook endpoint is ready');
  }

  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiBody({ type: HeygenWebhookDto })
  @ApiEnvelopeResponse(HeygenWebhookResultDto, {
    withMessage: true,
    description: 'While HeyGen is paused by a superadmin, a verified event is stored and answered with `outcome: held`; it is applied when HeyGen is resumed.',
  })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  receive(@Body(heygenBody) body: Record<string, unknown>): Promise<WebhookHandled<SuccessEnvelope<HeygenWebhookResultDto>>> {
    const dto = body as unknown as HeygenWebhookDto;
    return this.holds.holding('heygen') ? Promise.resolve(held(dto)) : this.handle(dto);
  }

  /** The live route and a replay of a stored delivery run the same code. */
  private async handle(dto: HeygenWebhookDto): Promise<WebhookHandled<SuccessEnvelope<HeygenWebhookResultDto>>> {
    const eventType = dto.event_type;
    const data = dto.event_data ?? {};
    const deliveryId = dto.event_id || undefined;
    const isSuccess = SUCCESS_EVENTS.has(eventType);
    if (!isSuccess && !FAILURE_EVENTS.has(eventType)) {
      this.logger.log(`HeyGen event ${eventType} ignored (not handled)`);
      const response = ok({ event_type: eventType, outcome: 'ignored' }, `Event ${eventType} ignored`);
      return handled({ outcome: 'ignored', response, videoId: stringField(data, 'video_id'), deliveryId });
    }

    const videoId = stringField(data, 'video_id');
    const callbackId = stringField(data, 'callback_id');
    if (!videoId && !callbackId) throw new BadRequestException('event_data.video_id is required');
    const urls = isSuccess ? successUrls(data) : undefined;
    const reel = await this.events.find(videoId, callbackId);
    if (urls?.problem) {
      // A success whose URLs we may not store is not applied, whatever the reel: a 400, so the
      // event is recorded as rejected with the reason, HeyGen's own log shows a failed delivery,
      // and the delivery id is not remembered as handled (a replay after a fix still applies).
      if (reel) await this.events.refused(reel, urls.problem);
      throw new BadRequestException(urls.problem);
    }
    if (!reel) {
      this.events.notFound(videoId, callbackId);
      const response = ok({ event_type: eventType, outcome: 'ignored', video_id: videoId }, 'No reel with this video_id; event ignored');
      return handled({ outcome: 'ignored', response, videoId, deliveryId });
    }

    let result: ReelEventResult;
    if (urls) {
      result = await this.events.completed(reel, urls.result, videoId);
    } else {
      const reason = stringField(data, 'error_message') ?? stringField(data, 'msg') ?? stringField(data, 'error');
      result = await this.events.failed(reel, reason, videoId);
    }
    // Checked above; the service refuses unusable URLs on every path, this one included.
    if (result.outcome === 'refused') throw new BadRequestException(result.reason);
    const outcome = result.outcome;
    const current = result.reel ?? reel;
    this.logger.log(`HeyGen ${eventType} for reel ${current.id}: ${result.outcome}`);
    const response = ok(
      { event_type: eventType, outcome, video_id: videoId ?? current.heygenVideoId, reel_id: current.id, status: current.status },
      messageFor(outcome, current.status),
    );
    return handled({ outcome, response, videoId: videoId ?? current.heygenVideoId, recordId: current.id, workspaceId: current.workspaceId, deliveryId });
  }
}

/**
 * HeyGen's source is paused (or its held events are still being released): the event, verified and
 * of the DTO's shape, is stored as `held` and answered 200 with `outcome: held`; it is handled on
 * resume. Nothing is read: the reel is not looked up.
 */
function held(dto: HeygenWebhookDto): WebhookHandled<SuccessEnvelope<HeygenWebhookResultDto>> {
  const videoId = typeof dto.event_data?.video_id === 'string' ? dto.event_data.video_id.slice(0, 2048) : undefined;
  const response = ok({ event_type: dto.event_type, outcome: 'held', ...(videoId && { video_id: videoId }) }, heldMessage('heygen'));
  return handled({ outcome: 'held', response, videoId, deliveryId: dto.event_id || undefined });
}

function messageFor(outcome: WebhookOutcome, status: string): string {
  if (outcome === 'accepted') return 'Reel updated';
  if (outcome === 'duplicate') return 'Event already applied; nothing changed';
  return status === 'completed' ? 'Reel already completed; failure ignored' : `Reel is ${status}; event ignored`;
}

/**
 * The video and thumbnail URLs of a success (HeyGen's `url`, or `video_url` and
 * `thumbnail_url`), or why they may not be stored (the rule every stored URL follows: type and
 * length included, so every such refusal is noted on the reel), naming the field as sent.
 */
function successUrls(data: Record<string, unknown>): { result: ReelResult; problem?: string } {
  const present = (name: string) => data[name] !== undefined && data[name] !== null && data[name] !== '';
  const videoField = present('video_url') ? 'video_url' : 'url';
  const thumbnailField = present('thumbnail_url') ? 'thumbnail_url' : 'thumbnail';
  const sent = { videoUrl: present(videoField) ? data[videoField] : undefined, thumbnailUrl: present(thumbnailField) ? data[thumbnailField] : undefined };
  const problem = reelResultProblem(sent, { videoUrl: `event_data.${videoField}`, thumbnailUrl: `event_data.${thumbnailField}` });
  return problem ? { result: {}, problem } : { result: sent as ReelResult };
}

/** A non-empty string field of event_data (at most 2048 characters), or undefined; any other type is a 400. */
function stringField(data: Record<string, unknown>, name: string): string | undefined {
  const value = data[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`event_data.${name} must be a string`);
  if (value.length > 2048) throw new BadRequestException(`event_data.${name} must be at most 2048 characters`);
  return value;
}
