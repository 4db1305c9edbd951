import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, CurrentUser } from '../common/auth.decorators.js';
import { AuthenticatedUser } from '../common/authenticated-user.js';
import { Role } from '../common/role.enum.js';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, pagination, SuccessEnvelope } from '../common/envelope.js';
import { ParseObjectIdPipe } from '../common/object-id.js';
import { pageWindow } from '../common/pagination.dto.js';
import { WorkspaceId } from '../common/workspace-id.decorator.js';
import { workspaceScope } from '../common/workspace-scope.js';
import { videosConfig, type VideosConfig } from './videos.config.js';
import {
  BulkGenerateDto,
  BulkGenerateResponseDto,
  FailVideoDto,
  ListVideosQueryDto,
  toVideoResponse,
  VideoListDto,
  VideoResponseDto,
} from './video.dto.js';
import { VideosService } from './videos.service.js';

const VideoIdPipe = new ParseObjectIdPipe('Invalid videoId format');

@ApiTags('videos')
@Controller('api/videos')
@Auth()
export class VideosController {
  constructor(
    private readonly videos: VideosService,
    @Inject(videosConfig.KEY) private readonly config: VideosConfig,
  ) {}

  /**
   * Ask RCK for one video per product. All products must be in the caller's workspace and the
   * month's allowance must cover the whole batch; the answer does not wait for retries.
   */
  @Post('bulk-generate')
  @ApiEnvelopeResponse(BulkGenerateResponseDto, { status: HttpStatus.CREATED })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN, HttpStatus.NOT_FOUND, HttpStatus.PAYMENT_REQUIRED)
  async bulkGenerate(
    @CurrentUser() user: AuthenticatedUser,
    @WorkspaceId() workspaceId: string,
    @Body() dto: BulkGenerateDto,
  ): Promise<SuccessEnvelope<BulkGenerateResponseDto>> {
    const max = this.config.bulkMaxProducts;
    if (dto.productIds.length > max) throw new BadRequestException(`productIds must contain at most ${max} product ids`);
    // Hex digits in either case name the same product.
    const productIds = dto.productIds.map((id) => id.toLowerCase());
    if (new Set(productIds).size < productIds.length) throw new BadRequestException('productIds must not contain the same id twice');
    const result = await this.videos.bulkGenerate(user, workspaceId, {
      productIds,
      templateId: dto.templateId,
      templateName: dto.templateName,
      aspectRatio: dto.aspect_ratio ?? '9:16',
    });
    return ok(result as BulkGenerateResponseDto);
  }

  /** The workspace's videos, newest first; a superadmin passes `workspaceId`. */
  @Get()
  @ApiEnvelopeResponse(VideoListDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN)
  async list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListVideosQueryDto,
  ): Promise<SuccessEnvelope<VideoListDto>> {
    const workspaceId = workspaceScope(user, query.workspaceId);
    const { page, limit, skip } = pageWindow(query);
    const { videos, total } = await this.videos.list(workspaceId, { status: query.status, productId: query.productId }, skip, limit);
    return ok({ videos: videos.map(toVideoResponse), pagination: pagination(page, limit, total) });
  }

  /** One video (the AIVideo shape RCK's callbacks fill in); another workspace's video is a 404. */
  @Get(':videoId')
  @ApiEnvelopeResponse(VideoResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async findOne(
    @CurrentUser() user: AuthenticatedUser,
    @Param('videoId', VideoIdPipe) videoId: string,
  ): Promise<SuccessEnvelope<VideoResponseDto>> {
    const workspaceId = user.role === Role.SuperAdmin ? undefined : workspaceScope(user);
    return ok(toVideoResponse(await this.videos.get(workspaceId, videoId)));
  }

  /** Mark a video that is still pending or generating as failed, with a reason (superadmin). */
  @Post(':videoId/fail')
  @HttpCode(HttpStatus.OK)
  @Auth(Role.SuperAdmin)
  @ApiEnvelopeResponse(VideoResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT)
  async fail(
    @CurrentUser() user: AuthenticatedUser,
    @Param('videoId', VideoIdPipe) videoId: string,
    @Body() dto: FailVideoDto,
  ): Promise<SuccessEnvelope<VideoResponseDto>> {
    return ok(toVideoResponse(await this.videos.failByHand(videoId, dto.reason, user.userId)), 'Video marked as failed');
  }

  /** Try a failed video again (up to VIDEO_MAX_RETRIES times). */
  @Post(':videoId/retry')
  @HttpCode(HttpStatus.OK)
  @ApiEnvelopeResponse(VideoResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN, HttpStatus.NOT_FOUND, HttpStatus.CONFLICT, HttpStatus.PAYMENT_REQUIRED)
  async retry(
    @WorkspaceId() workspaceId: string,
    @Param('videoId', VideoIdPipe) videoId: string,
  ): Promise<SuccessEnvelope<VideoResponseDto>> {
    return ok(toVideoResponse(await this.videos.retry(workspaceId, videoId)), 'Video retry started');
  }
}
