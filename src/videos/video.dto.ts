import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { IsObjectId } from '../common/object-id.js';
import { PaginationDto, PaginationQueryDto } from '../common/pagination.dto.js';
import { VIDEO_STATUSES, VideoStatus } from '../common/video-status.js';
import { AIVideoRecord } from './ai-video.repository.js';

export const ASPECT_RATIOS = ['9:16', '16:9', '1:1', '4:5'] as const;

/**
 * The absolute ceiling, the JSON shape limit's longest array (src/common/http-body.ts);
 * BULK_GENERATE_MAX_PRODUCTS (checked in the controller) may be lower.
 */
export const BULK_GENERATE_HARD_LIMIT = 1000;

const trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

export class BulkGenerateDto {
  /** Products of the caller's workspace, one video each (distinct ids). */
  // class-validator reports the rule declared last first: the type check goes last.
  @IsObjectId({ each: true, message: 'each productIds entry must be a valid ObjectId', api: { type: [String], example: ['507f1f77bcf86cd799439011', '507f1f77bcf86cd799439012'] } })
  @ArrayUnique({ message: 'productIds must not contain the same id twice' })
  @ArrayMaxSize(BULK_GENERATE_HARD_LIMIT)
  @ArrayMinSize(1, { message: 'productIds must contain at least 1 product id' })
  @IsArray({ message: 'productIds must be an array of product ids' })
  productIds: string[];

  @trim()
  @MaxLength(200)
  @IsString({ message: 'templateId must be a string' })
  @IsNotEmpty({ message: 'templateId is required' })
  @ApiProperty({ example: 'template_001' })
  templateId: string;

  @trim()
  @MaxLength(200)
  @IsString({ message: 'templateName must be a string' })
  @IsNotEmpty({ message: 'templateName is required' })
  @ApiProperty({ example: 'Product Showcase' })
  templateName: string;

  @IsOptional()
  @IsIn(ASPECT_RATIOS, { message: `aspect_ratio must be one of ${ASPECT_RATIOS.join(', ')}` })
  @ApiPropertyOptional({ enum: ASPECT_RATIOS, default: '9:16' })
  aspect_ratio?: (typeof ASPECT_RATIOS)[number] = '9:16';
}

export class BulkGeneratedVideoDto {
  @ApiProperty({ example: '65abc123def456789012abcd' })
  videoId: string;
  @ApiProperty({ example: '507f1f77bcf86cd799439011' })
  productId: string;
  /** `generating` once RCK took it, `pending` while it waits for a later send. */
  @ApiProperty({ enum: VIDEO_STATUSES, enumName: 'VideoStatus' })
  status: VideoStatus;
}

export class BulkGenerateResponseDto {
  videoIds: string[];
  videos: BulkGeneratedVideoDto[];
}

export class VideoMetadataDto {
  templateId: string;
  templateName?: string;
  /** RCK's job id for this video. */
  externalJobId?: string;
  queuedAt: Date;
  @ApiProperty({ enum: ASPECT_RATIOS })
  aspect_ratio: string;
  /** The bulk request this video came from. */
  batchId: string;
  /** Sends to RCK in the current attempt. */
  dispatchAttempts: number;
  /** Why the last send to RCK failed, while the video waits as `pending`. */
  lastDispatchError?: string;
  dispatchedAt?: Date;
  /** User retries so far. */
  retryCount: number;
  youtubeVideoId?: string;
  localFilename?: string;
  videoUrl?: string;
  imgS3Url?: string;
  completedAt?: Date;
  failedAt?: Date;
  /** The superadmin who marked it failed by hand. */
  failedBy?: string;
}

/** An AIVideo as the API answers it. */
export class VideoResponseDto {
  /** The record's id: the one name every DTO uses for it. */
  @ApiProperty({ example: '65abc123def456789012abcd' })
  id: string;
  /** The same id under the name the first API gave it; kept so existing clients go on working. */
  @ApiProperty({ example: '65abc123def456789012abcd' })
  _id: string;
  userId: string;
  workspaceId: string;
  productId: string;
  /** The template's name. */
  template: string;
  @ApiProperty({ enum: VIDEO_STATUSES, enumName: 'VideoStatus' })
  status: VideoStatus;
  error?: string;
  metadata: VideoMetadataDto;
  createdAt: Date;
  updatedAt: Date;
}

export class VideoListDto {
  videos: VideoResponseDto[];
  pagination: PaginationDto;
}

export class ListVideosQueryDto extends PaginationQueryDto {
  @IsOptional()
  @IsIn(VIDEO_STATUSES, { message: `status must be one of ${VIDEO_STATUSES.join(', ')}` })
  @ApiPropertyOptional({ enum: VIDEO_STATUSES, enumName: 'VideoStatus' })
  status?: VideoStatus;

  @IsOptional()
  @IsObjectId({ api: { required: false } })
  productId?: string;

  /** Superadmins only: whose videos to list. */
  @IsOptional()
  @IsObjectId({ api: { required: false } })
  workspaceId?: string;
}

export class FailVideoDto {
  @trim()
  @MaxLength(1000)
  @IsString({ message: 'reason must be a string' })
  @IsNotEmpty({ message: 'reason is required' })
  @ApiProperty({ example: 'Stuck since the RCK outage of 2025-01-17' })
  reason: string;
}

export function toVideoResponse(video: AIVideoRecord): VideoResponseDto {
  const { metadata } = video;
  return {
    id: video.id,
    _id: video.id,
    userId: video.userId,
    workspaceId: video.workspaceId,
    productId: video.productId,
    template: video.template,
    status: video.status,
    ...(video.error !== undefined && { error: video.error }),
    metadata: {
      templateId: metadata.templateId,
      templateName: metadata.templateName,
      externalJobId: metadata.externalJobId,
      queuedAt: metadata.queuedAt,
      aspect_ratio: metadata.aspect_ratio,
      batchId: metadata.batchId,
      dispatchAttempts: metadata.dispatchAttempts,
      lastDispatchError: metadata.lastDispatchError,
      dispatchedAt: metadata.dispatchedAt,
      retryCount: metadata.retryCount,
      youtubeVideoId: metadata.youtubeVideoId,
      localFilename: metadata.localFilename,
      videoUrl: metadata.videoUrl,
      imgS3Url: metadata.imgS3Url,
      completedAt: metadata.completedAt,
      failedAt: metadata.failedAt,
      failedBy: metadata.failedBy,
    },
    createdAt: video.createdAt,
    updatedAt: video.updatedAt,
  };
}
