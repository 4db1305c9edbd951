import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { usableHttpUrl } from '../common/http-url.js';
import { IsObjectId } from '../common/object-id.js';
import { PaginationDto, PaginationQueryDto } from '../common/pagination.dto.js';
import { HasVisibleCharacter, IsPlainIdentifier, IsPlainName, Trim } from '../common/text.js';
import { ReelRecord } from './reel.repository.js';
import { REEL_ASPECT_RATIOS, REEL_SCRIPT_MAX_LENGTH, REEL_STATUSES, ReelAspectRatio, ReelStatus } from './reel.schema.js';

export class CreateReelDto {
  @Trim()
  @IsPlainName()
  @MaxLength(200)
  @IsString({ message: 'title must be a string' })
  @IsNotEmpty({ message: 'title is required' })
  @ApiProperty({ example: 'Summer collection teaser' })
  title: string;

  /** What the avatar says: under 5,000 characters (HeyGen's limit). */
  @Trim()
  @HasVisibleCharacter({ message: 'script must contain visible characters' })
  @MaxLength(REEL_SCRIPT_MAX_LENGTH, { message: `script must be under 5,000 characters` })
  @IsString({ message: 'script must be a string' })
  @IsNotEmpty({ message: 'script is required' })
  @ApiProperty({ example: 'Hi! Meet our new summer collection…' })
  script: string;

  /** A HeyGen avatar id. */
  @Trim()
  @IsPlainIdentifier()
  @MaxLength(200)
  @IsString({ message: 'avatarId must be a string' })
  @IsNotEmpty({ message: 'avatarId is required' })
  @ApiProperty({ example: 'Daisy-inskirt-20220818' })
  avatarId: string;

  /** A HeyGen voice id. */
  @Trim()
  @IsPlainIdentifier()
  @MaxLength(200)
  @IsString({ message: 'voiceId must be a string' })
  @IsNotEmpty({ message: 'voiceId is required' })
  @ApiProperty({ example: '2d5b0e6cf36f460aa7fc47e3eee4ba54' })
  voiceId: string;

  @IsOptional()
  @IsIn(REEL_ASPECT_RATIOS, { message: `aspect_ratio must be one of ${REEL_ASPECT_RATIOS.join(', ')}` })
  @ApiPropertyOptional({ enum: REEL_ASPECT_RATIOS, default: '9:16' })
  aspect_ratio?: ReelAspectRatio = '9:16';
}

export class RejectReelDto {
  @Trim()
  @MaxLength(1000)
  @IsString({ message: 'reason must be a string' })
  @IsNotEmpty({ message: 'reason is required' })
  @ApiProperty({ example: 'The script names a competitor' })
  reason: string;
}

export class ListReelsQueryDto extends PaginationQueryDto {
  @IsOptional()
  @IsIn(REEL_STATUSES, { message: `status must be one of ${REEL_STATUSES.join(', ')}` })
  @ApiPropertyOptional({ enum: REEL_STATUSES, enumName: 'ReelStatus' })
  status?: ReelStatus;

  /** Superadmins only: whose reels to list. */
  @IsOptional()
  @IsObjectId({ api: { required: false } })
  workspaceId?: string;
}

export class DownloadReelQueryDto {
  /** `false`: answer the URL in the envelope instead of a 302 to it. */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'redirect must be true or false' })
  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'true' })
  redirect?: 'true' | 'false';
}

export class ReelDimensionDto {
  width: number;
  height: number;
}

export class ReelResponseDto {
  /** The record's id: the one name every DTO uses for it. */
  @ApiProperty({ example: '65abc123def456789012abcd' })
  id: string;
  /** The same id under the name the first API gave it; kept so existing clients go on working. */
  @ApiProperty({ example: '65abc123def456789012abcd' })
  _id: string;
  userId: string;
  workspaceId: string;
  title: string;
  script: string;
  avatarId: string;
  voiceId: string;
  @ApiProperty({ enum: REEL_ASPECT_RATIOS })
  aspect_ratio: string;
  dimension: ReelDimensionDto;
  @ApiProperty({ enum: REEL_STATUSES, enumName: 'ReelStatus' })
  status: ReelStatus;
  /** HeyGen's video id, once HeyGen took the reel. */
  heygenVideoId?: string;
  /** HeyGen's URL (expires 7 days after urlsFetchedAt; the download endpoint refreshes it). */
  videoUrl?: string;
  thumbnailUrl?: string;
  urlsFetchedAt?: Date;
  /** Why the reel failed. */
  error?: string;
  approvedBy?: string;
  approvedAt?: Date;
  rejectedBy?: string;
  rejectedAt?: Date;
  rejectionReason?: string;
  /** Calls to HeyGen's generate so far. */
  generateAttempts: number;
  /** Why the last call to HeyGen failed, while the reel waits (approved) for the next. */
  lastGenerateError?: string;
  /** Why HeyGen's last success was not applied (an unusable URL), while the reel waits for usable ones. */
  lastEventError?: string;
  processingAt?: Date;
  completedAt?: Date;
  failedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export class ReelListDto {
  reels: ReelResponseDto[];
  pagination: PaginationDto;
}

export class ReelDownloadDto {
  @ApiProperty({ example: 'https://resource.heygen.ai/video/…' })
  url: string;
  thumbnailUrl?: string;
  /** When HeyGen issued the URL; it expires 7 days later. */
  urlsFetchedAt: Date;
}

export function toReelResponse(reel: ReelRecord): ReelResponseDto {
  return {
    id: reel.id,
    _id: reel.id,
    userId: reel.userId,
    workspaceId: reel.workspaceId,
    title: reel.title,
    script: reel.script,
    avatarId: reel.avatarId,
    voiceId: reel.voiceId,
    aspect_ratio: reel.aspectRatio,
    dimension: reel.dimension,
    status: reel.status,
    heygenVideoId: reel.heygenVideoId,
    // A URL stored before HeyGen's were checked is not handed out unless it is usable.
    videoUrl: usableHttpUrl(reel.videoUrl),
    thumbnailUrl: usableHttpUrl(reel.thumbnailUrl),
    urlsFetchedAt: reel.urlsFetchedAt,
    error: reel.error,
    approvedBy: reel.approvedBy,
    approvedAt: reel.approvedAt,
    rejectedBy: reel.rejectedBy,
    rejectedAt: reel.rejectedAt,
    rejectionReason: reel.rejectionReason,
    generateAttempts: reel.generateAttempts,
    lastGenerateError: reel.lastGenerateError,
    lastEventError: reel.lastEventError,
    processingAt: reel.processingAt,
    completedAt: reel.completedAt,
    failedAt: reel.failedAt,
    createdAt: reel.createdAt,
    updatedAt: reel.updatedAt,
  };
}
