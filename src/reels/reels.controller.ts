import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Auth, CurrentUser } from '../common/auth.decorators.js';
import { AuthenticatedUser } from '../common/authenticated-user.js';
import { Role } from '../common/role.enum.js';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, pagination, SuccessEnvelope } from '../common/envelope.js';
import { ParseObjectIdPipe } from '../common/object-id.js';
import { pageWindow } from '../common/pagination.dto.js';
import { WorkspaceId } from '../common/workspace-id.decorator.js';
import {
  CreateReelDto,
  DownloadReelQueryDto,
  ListReelsQueryDto,
  RejectReelDto,
  ReelDownloadDto,
  ReelListDto,
  ReelResponseDto,
  toReelResponse,
} from './reel.dto.js';
import { ReelsService } from './reels.service.js';

const ReelIdPipe = new ParseObjectIdPipe('Invalid reelId format');

/** HeyGen reels: request, approval, download (docs/contracts/heygen.md#the-flow). */
@ApiTags('reels')
@Controller('api/reels')
@Auth()
export class ReelsController {
  constructor(private readonly reels: ReelsService) {}

  /** Ask for a reel; a producer of the workspace approves or rejects it. */
  @Post()
  @ApiEnvelopeResponse(ReelResponseDto, { status: HttpStatus.CREATED, withMessage: true })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN)
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @WorkspaceId() workspaceId: string,
    @Body() dto: CreateReelDto,
  ): Promise<SuccessEnvelope<ReelResponseDto>> {
    const reel = await this.reels.request({
      userId: user.userId,
      workspaceId,
      title: dto.title,
      script: dto.script,
      avatarId: dto.avatarId,
      voiceId: dto.voiceId,
      aspectRatio: dto.aspect_ratio ?? '9:16',
    });
    return ok(toReelResponse(reel), 'Reel requested');
  }

  /** A user's own reels; a producer's whole workspace; a superadmin passes `workspaceId`. Newest first. */
  @Get()
  @ApiEnvelopeResponse(ReelListDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN)
  async list(@CurrentUser() user: AuthenticatedUser, @Query() query: ListReelsQueryDto): Promise<SuccessEnvelope<ReelListDto>> {
    const workspaceId = this.reels.scopeOf(user, query.workspaceId);
    const { page, limit, skip } = pageWindow(query);
    const { reels, total } = await this.reels.list(user, workspaceId, query.status, skip, limit);
    return ok({ reels: reels.map(toReelResponse), pagination: pagination(page, limit, total) });
  }

  /** One reel: its owner, a producer of its workspace or a superadmin; anyone else gets 404. */
  @Get(':reelId')
  @ApiEnvelopeResponse(ReelResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async findOne(@CurrentUser() user: AuthenticatedUser, @Param('reelId', ReelIdPipe) reelId: string): Promise<SuccessEnvelope<ReelResponseDto>> {
    return ok(toReelResponse(await this.reels.get(user, reelId)));
  }

  /**
   * Approve a requested reel (a producer of its workspace, or a superadmin): HeyGen is asked to
   * generate it in the background. Approving it again answers it as it is.
   */
  @Post(':reelId/approve')
  @HttpCode(HttpStatus.OK)
  @Auth(Role.Producer, Role.SuperAdmin)
  @ApiEnvelopeResponse(ReelResponseDto, { withMessage: true })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  async approve(@CurrentUser() user: AuthenticatedUser, @Param('reelId', ReelIdPipe) reelId: string): Promise<SuccessEnvelope<ReelResponseDto>> {
    const { reel, changed } = await this.reels.approve(user, reelId);
    return ok(toReelResponse(reel), changed ? 'Reel approved; HeyGen is generating it' : `Reel already approved (${reel.status})`);
  }

  /** Reject a requested reel, with a reason (a producer of its workspace, or a superadmin). */
  @Post(':reelId/reject')
  @HttpCode(HttpStatus.OK)
  @Auth(Role.Producer, Role.SuperAdmin)
  @ApiEnvelopeResponse(ReelResponseDto, { withMessage: true })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  async reject(
    @CurrentUser() user: AuthenticatedUser,
    @Param('reelId', ReelIdPipe) reelId: string,
    @Body() dto: RejectReelDto,
  ): Promise<SuccessEnvelope<ReelResponseDto>> {
    return ok(toReelResponse(await this.reels.reject(user, reelId, dto.reason)), 'Reel rejected');
  }

  /**
   * The completed reel's video: a 302 to HeyGen's URL, or with `redirect=false` the URL in the
   * envelope. A URL near HeyGen's 7-day expiry, or not a usable http(s) URL, is refreshed first;
   * without a usable one the answer is a 502.
   */
  @Get(':reelId/download')
  @ApiEnvelopeResponse(ReelDownloadDto)
  @ApiResponse({ status: HttpStatus.FOUND, description: 'Redirect to the video (Location header)' })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT, HttpStatus.BAD_GATEWAY)
  async download(
    @CurrentUser() user: AuthenticatedUser,
    @Param('reelId', ReelIdPipe) reelId: string,
    @Query() query: DownloadReelQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SuccessEnvelope<ReelDownloadDto>> {
    const reel = await this.reels.downloadUrl(user, reelId);
    // An http(s) URL (downloadUrl sees to it), as the WHATWG parser writes it: ASCII only, so the
    // header can always be sent.
    if (query.redirect !== 'false') void reply.code(HttpStatus.FOUND).header('location', new URL(reel.videoUrl).href);
    return ok({ url: reel.videoUrl, thumbnailUrl: reel.thumbnailUrl, urlsFetchedAt: reel.urlsFetchedAt });
  }
}
