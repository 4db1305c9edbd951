import { Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, PipeTransform, Post } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentUser } from '../common/auth.decorators.js';
import { AuthenticatedUser } from '../common/authenticated-user.js';
import { Role } from '../common/role.enum.js';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, SuccessEnvelope } from '../common/envelope.js';
import { WebhookSource } from '../inbound-webhook-contract/signature-verifiers.js';
import { toWebhookSourceResponse, WebhookSourceDto } from './webhook-source.dto.js';
import { WEBHOOK_SOURCE_NAMES } from './webhook-source.schema.js';
import { WebhookSourcesService } from './webhook-sources.service.js';

/** A path's source: one we receive deliveries from, else a 404 naming the ones there are (not the input). */
class SourcePipe implements PipeTransform<string, WebhookSource> {
  transform(value: string): WebhookSource {
    if (!(WEBHOOK_SOURCE_NAMES as readonly string[]).includes(value)) {
      throw new NotFoundException(`Unknown webhook source; the sources are ${WEBHOOK_SOURCE_NAMES.join(' and ')}`);
    }
    return value as WebhookSource;
  }
}

const sourceParam = ApiParam({ name: 'source', enum: WEBHOOK_SOURCE_NAMES });

/**
 * Pausing and resuming the processing of a generator's deliveries (superadmins), e.g. while it
 * misbehaves: a paused source's deliveries are still verified, stored and answered 200, and
 * applied in arrival order when it is resumed.
 */
@ApiTags('webhook-sources')
@Controller('api/webhook-sources')
@Auth(Role.SuperAdmin)
export class WebhookSourcesController {
  constructor(private readonly sources: WebhookSourcesService) {}

  /** Each source's state and how many deliveries wait to be applied. */
  @Get()
  @ApiEnvelopeResponse(WebhookSourceDto, { isArray: true })
  async list(): Promise<SuccessEnvelope<WebhookSourceDto[]>> {
    return ok((await this.sources.list()).map(toWebhookSourceResponse));
  }

  /**
   * Hold the source's deliveries: verified, stored and answered 200, not applied. Pausing a paused
   * source changes nothing; pausing one that is resuming stops the release where it is.
   */
  @Post(':source/pause')
  @HttpCode(HttpStatus.OK)
  @sourceParam
  @ApiEnvelopeResponse(WebhookSourceDto, { withMessage: true })
  @ApiErrorResponses(HttpStatus.NOT_FOUND)
  async pause(@Param('source', new SourcePipe()) source: WebhookSource, @CurrentUser() user: AuthenticatedUser): Promise<SuccessEnvelope<WebhookSourceDto>> {
    const { view, changed } = await this.sources.pause(source, user.email);
    const message = changed
      ? `${source} paused: its deliveries are verified, stored and answered, and held until it is resumed`
      : `${source} was already paused (since ${view.pausedAt?.toISOString()}); nothing changed`;
    return ok(toWebhookSourceResponse(view), message);
  }

  /**
   * Apply the held deliveries, oldest first, through the replay path (in the background), then
   * handle deliveries as they arrive again; those arriving meanwhile wait behind the held ones.
   * Resuming a source that is not paused changes nothing, unless deliveries are still held (an
   * instance held them on a stale copy of the state): those are then applied.
   */
  @Post(':source/resume')
  @HttpCode(HttpStatus.OK)
  @sourceParam
  @ApiEnvelopeResponse(WebhookSourceDto, { withMessage: true })
  @ApiErrorResponses(HttpStatus.NOT_FOUND)
  async resume(@Param('source', new SourcePipe()) source: WebhookSource): Promise<SuccessEnvelope<WebhookSourceDto>> {
    const { view, changed } = await this.sources.resume(source);
    let message: string;
    if (changed && view.state === 'active') message = `${source} is active; ${view.waiting} deliver${view.waiting === 1 ? 'y' : 'ies'} still held ${view.waiting === 1 ? 'is' : 'are'} being applied in arrival order`;
    else if (changed) message = `${source} resuming: ${view.waiting} held deliver${view.waiting === 1 ? 'y is' : 'ies are'} being applied in arrival order`;
    else if (view.state === 'resuming') message = `${source} is already resuming: ${view.waiting} held deliver${view.waiting === 1 ? 'y' : 'ies'} still to apply`;
    else message = `${source} is not paused; nothing changed`;
    return ok(toWebhookSourceResponse(view), message);
  }
}
