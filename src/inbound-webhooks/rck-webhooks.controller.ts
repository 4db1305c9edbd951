import { BadRequestException, Body, Controller, HttpCode, HttpStatus, Logger, OnModuleInit, Post, Type, ValidationPipe } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, SuccessEnvelope } from '../common/envelope.js';
import { isObjectIdString } from '../common/object-id.js';
import { createValidationPipe } from '../common/validation.pipe.js';
import { STALE_CALLBACK_MESSAGE, VideoCallbacksService } from '../videos/video-callbacks.service.js';
import { handled, WebhookHandled, WebhookOutcome } from '../inbound-webhook-contract/webhook-handled.js';
import { heldMessage, WebhookHolds } from '../inbound-webhook-contract/webhook-holds.js';
import { WebhookReplayRegistry } from '../inbound-webhook-events/webhook-replay.registry.js';
import { RckFailureCallbackDto, RckFailureDataDto, RckHeldDataDto, RckSuccessCallbackDto, RckSuccessDataDto } from './rck-callback.dto.js';
import { WebhookReceiver } from '../inbound-webhook-contract/webhook-receiver.decorator.js';

/**
 * The body is declared as a plain record so the global pipe (which refuses unknown fields) leaves
 * it alone; this pipe validates it against the DTO and drops fields RCK may add later.
 */
const lenientBody = (expectedType: Type<unknown>) => createValidationPipe({ forbidUnknownFields: false, expectedType });

const successBody = lenientBody(RckSuccessCallbackDto);
const failureBody = lenientBody(RckFailureCallbackDto);

const HELD_DESCRIPTION = 'While RCK is paused by a superadmin, a verified callback is stored and answered `{ success: true, message, data: { videoId, held: true } }`; it is applied when RCK is resumed.';

/** RCK Description's callbacks, signed (docs/contracts/rck.md#callbacks). */
@Controller('internal/videos')
@WebhookReceiver('rck')
export class RckWebhooksController implements OnModuleInit {
  private readonly logger = new Logger(RckWebhooksController.name);

  constructor(
    private readonly callbacks: VideoCallbacksService,
    private readonly replays: WebhookReplayRegistry,
    private readonly holds: WebhookHolds,
  ) {}

  /**
   * A stored delivery is replayed through the same validation and service calls as a live one;
   * never held (a held delivery's release is such a replay).
   */
  onModuleInit(): void {
    this.replays.register('/internal/videos/success', async (payload, { receivedAt }) => this.handleSuccess(await validated(successBody, payload), receivedAt));
    this.replays.register('/internal/videos/failure', async (payload, { receivedAt }) => this.handleFailure(await validated(failureBody, payload), receivedAt));
  }

  /** RCK generated the video. Repeating it changes nothing and answers the same. */
  @Post('success')
  @HttpCode(HttpStatus.OK)
  @ApiBody({ type: RckSuccessCallbackDto })
  @ApiEnvelopeResponse(RckSuccessDataDto, { withMessage: true, description: HELD_DESCRIPTION })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  success(@Body(successBody) body: Record<string, unknown>): Promise<WebhookHandled<SuccessEnvelope<RckSuccessDataDto | RckHeldDataDto>>> {
    const dto = body as unknown as RckSuccessCallbackDto;
    return this.holds.holding('rck') ? Promise.resolve(held(dto.videoId)) : this.handleSuccess(dto);
  }

  /** RCK could not generate the video. After a success it is ignored (still 200). */
  @Post('failure')
  @HttpCode(HttpStatus.OK)
  @ApiBody({ type: RckFailureCallbackDto })
  @ApiEnvelopeResponse(RckFailureDataDto, { withMessage: true, description: HELD_DESCRIPTION })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  failure(@Body(failureBody) body: Record<string, unknown>): Promise<WebhookHandled<SuccessEnvelope<RckFailureDataDto | RckHeldDataDto>>> {
    const dto = body as unknown as RckFailureCallbackDto;
    return this.holds.holding('rck') ? Promise.resolve(held(dto.videoId)) : this.handleFailure(dto);
  }

  private async handleSuccess(dto: RckSuccessCallbackDto, receivedAt?: Date) {
    const { outcome, data, workspaceId, stale } = await this.callbacks.succeeded(dto.videoId, {
      youtubeVideoId: dto.youtubeVideoId,
      localFilename: dto.localFilename,
      videoUrl: dto.video_url ?? dto.videoUrl,
      imgS3Url: dto.img_s3_url ?? dto.imgS3Url,
    }, receivedAt);
    this.logger.log(`RCK success for video ${data.videoId}: ${outcome}`);
    return answer(outcome, workspaceId, ok(data, stale ? STALE_CALLBACK_MESSAGE : 'Video status updated successfully'));
  }

  private async handleFailure(dto: RckFailureCallbackDto, receivedAt?: Date) {
    const { outcome, data, workspaceId, stale } = await this.callbacks.failed(dto.videoId, dto.error?.trim() || undefined, receivedAt);
    this.logger.log(`RCK failure for video ${data.videoId}: ${outcome}`);
    if (stale) return answer(outcome, workspaceId, ok(data, STALE_CALLBACK_MESSAGE));
    if (outcome === 'ignored') return answer(outcome, workspaceId, ok(data, 'Video already completed; failure ignored'));
    return answer(outcome, workspaceId, ok(data, 'Video failure recorded successfully'));
  }
}

/**
 * RCK's source is paused (or its held deliveries are still being released): the callback, verified
 * and valid, is stored as `held` and answered 200 (RCK only needs a 2xx to stop retrying) with the
 * contract's envelope (docs/contracts/rck.md); its handler runs on resume. Nothing is read: the video is not looked up.
 */
function held(videoId: string): WebhookHandled<SuccessEnvelope<RckHeldDataDto>> {
  // The one check of the handler's that needs no database: a malformed id is refused as it would be live.
  if (!isObjectIdString(videoId)) throw new BadRequestException('Invalid videoId format');
  return handled({ outcome: 'held', response: ok({ videoId, held: true as const }, heldMessage('rck')), videoId });
}

/** For RCK the sender's videoId is our AIVideo's id. */
function answer<T extends SuccessEnvelope<{ videoId: string }>>(outcome: WebhookOutcome, workspaceId: string, response: T): WebhookHandled<T> {
  return handled({ outcome, response, videoId: response.data.videoId, recordId: response.data.videoId, workspaceId });
}

async function validated<T>(pipe: ValidationPipe, payload: unknown): Promise<T> {
  return (await pipe.transform(payload, { type: 'body', metatype: Object })) as T;
}
