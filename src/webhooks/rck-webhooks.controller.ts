import { Body, Controller, HttpCode, HttpStatus, Logger, Post, Req, Type } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, SuccessEnvelope } from '../common/envelope.js';
import { createValidationPipe } from '../common/validation.pipe.js';
import { VideoCallbacksService } from '../videos/video-callbacks.service.js';
import { RckFailureCallbackDto, RckFailureDataDto, RckSuccessCallbackDto, RckSuccessDataDto } from './rck-callback.dto.js';
import { WebhookEndpoint } from './webhook-endpoint.decorator.js';
import { WebhookRequest } from './webhook-signature.guard.js';

/**
 * The body is declared as a plain record so the global pipe (which refuses unknown fields) leaves
 * it alone; this pipe validates it against the DTO and drops fields RCK may add later.
 */
const lenientBody = (expectedType: Type<unknown>) => createValidationPipe({ forbidUnknownFields: false, expectedType });

/** RCK Description's callbacks (the seed's "Endpoints de Webhook Internos"), signed. */
@Controller('internal/videos')
@WebhookEndpoint('rck')
export class RckWebhooksController {
  private readonly logger = new Logger('Internal Webhook');

  constructor(private readonly callbacks: VideoCallbacksService) {}

  /** RCK generated the video. Repeating it changes nothing and answers the same. */
  @Post('success')
  @HttpCode(HttpStatus.OK)
  @ApiBody({ type: RckSuccessCallbackDto })
  @ApiEnvelopeResponse(RckSuccessDataDto, { withMessage: true })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async success(
    @Body(lenientBody(RckSuccessCallbackDto)) body: Record<string, unknown>,
    @Req() request: WebhookRequest,
  ): Promise<SuccessEnvelope<RckSuccessDataDto>> {
    const dto = body as unknown as RckSuccessCallbackDto;
    const { outcome, data } = await this.callbacks.succeeded(dto.videoId, {
      youtubeVideoId: dto.youtubeVideoId,
      localFilename: dto.localFilename,
      videoUrl: dto.video_url ?? dto.videoUrl,
      imgS3Url: dto.img_s3_url ?? dto.imgS3Url,
    });
    markOutcome(request, outcome, data.videoId);
    this.logger.log(`[Internal Webhook] success for video ${data.videoId}: ${outcome}`);
    return ok(data, 'Video status updated successfully');
  }

  /** RCK could not generate the video. After a success it is ignored (still 200). */
  @Post('failure')
  @HttpCode(HttpStatus.OK)
  @ApiBody({ type: RckFailureCallbackDto })
  @ApiEnvelopeResponse(RckFailureDataDto, { withMessage: true })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async failure(
    @Body(lenientBody(RckFailureCallbackDto)) body: Record<string, unknown>,
    @Req() request: WebhookRequest,
  ): Promise<SuccessEnvelope<RckFailureDataDto>> {
    const dto = body as unknown as RckFailureCallbackDto;
    const { outcome, data } = await this.callbacks.failed(dto.videoId, dto.error?.trim() || undefined);
    markOutcome(request, outcome, data.videoId);
    this.logger.log(`[Internal Webhook] failure for video ${data.videoId}: ${outcome}`);
    if (outcome === 'ignored') return ok(data, 'Video already completed; failure ignored');
    return ok(data, 'Video failure recorded successfully');
  }
}

function markOutcome(request: WebhookRequest, outcome: string, videoId: string): void {
  if (request.webhook) Object.assign(request.webhook, { outcome, videoId });
}
