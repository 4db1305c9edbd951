import { Controller, Get, HttpStatus, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth } from '../common/auth.decorators.js';
import { Role } from '../common/role.enum.js';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, SuccessEnvelope } from '../common/envelope.js';
import { ParseObjectIdPipe } from '../common/object-id.js';
import { TimelineDto } from './timeline.dto.js';
import { TimelineService } from './timeline.service.js';

const VideoIdPipe = new ParseObjectIdPipe('Invalid videoId format');
const ReelIdPipe = new ParseObjectIdPipe('Invalid reelId format');

/**
 * A video's or a reel's timeline, in one call. For superadmins only, like the event log it is made
 * of (its deliveries are superadmin-only data, docs/contracts/webhook-events.md); a superadmin sees
 * any workspace's video or reel, and every part of the answer is that workspace's.
 */
@ApiTags('timeline')
@Controller('api')
@Auth(Role.SuperAdmin)
export class TimelineController {
  constructor(private readonly timelines: TimelineService) {}

  /**
   * Everything that happened to the video, oldest first: deliveries about it, its state changes
   * with their versions, its sends to RCK, the messages to the workspace's endpoints (its own and
   * its batch's) and each attempt at them, and its e-mail and chat notices (its own and its batch's).
   */
  @Get('videos/:videoId/timeline')
  @ApiEnvelopeResponse(TimelineDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async ofVideo(@Param('videoId', VideoIdPipe) videoId: string): Promise<SuccessEnvelope<TimelineDto>> {
    return ok(await this.timelines.ofVideo(videoId));
  }

  /**
   * Everything that happened to the reel, oldest first: HeyGen's deliveries about it, its state
   * changes with their versions, its calls to HeyGen, the messages to the workspace's endpoints and
   * each attempt at them, and its e-mail and chat notices.
   */
  @Get('reels/:reelId/timeline')
  @ApiEnvelopeResponse(TimelineDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async ofReel(@Param('reelId', ReelIdPipe) reelId: string): Promise<SuccessEnvelope<TimelineDto>> {
    return ok(await this.timelines.ofReel(reelId));
  }
}
