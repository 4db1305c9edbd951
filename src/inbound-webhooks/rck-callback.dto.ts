import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsHttpUrl } from '../common/http-url.js';

/**
 * RCK's success callback (docs/contracts/rck.md#callbacks), snake_case URLs; the camelCase
 * spellings our answers use are accepted too. Unknown fields are ignored, so RCK can add fields.
 * Its URLs follow the same rule as HeyGen's (IsHttpUrl): they are stored and handed to browsers.
 */
export class RckSuccessCallbackDto {
  /** The AIVideo id (24 hex digits). */
  @IsNotEmpty({ message: 'videoId is required' })
  @ApiProperty({ example: '65abc123def456789012abcd' })
  videoId: string;

  @IsOptional()
  @MaxLength(100)
  @IsString({ message: 'youtubeVideoId must be a string' })
  @ApiPropertyOptional({ example: 'dQw4w9WgXcQ' })
  youtubeVideoId?: string;

  @IsOptional()
  @MaxLength(1000)
  @IsString({ message: 'localFilename must be a string' })
  @ApiPropertyOptional({ example: '/videos/product_123.mp4' })
  localFilename?: string;

  @IsOptional()
  @IsHttpUrl()
  @ApiPropertyOptional({ example: 'https://cdn.example.com/video.mp4' })
  video_url?: string;

  @IsOptional()
  @IsHttpUrl()
  @ApiPropertyOptional({ example: 'https://s3.amazonaws.com/thumbnail.jpg' })
  img_s3_url?: string;

  @IsOptional()
  @IsHttpUrl()
  @ApiPropertyOptional({ description: 'Alias of video_url' })
  videoUrl?: string;

  @IsOptional()
  @IsHttpUrl()
  @ApiPropertyOptional({ description: 'Alias of img_s3_url' })
  imgS3Url?: string;
}

export class RckFailureCallbackDto {
  /** The AIVideo id (24 hex digits). */
  @IsNotEmpty({ message: 'videoId is required' })
  @ApiProperty({ example: '65abc123def456789012abcd' })
  videoId: string;

  @IsOptional()
  @MaxLength(5000)
  @IsString({ message: 'error must be a string' })
  @ApiPropertyOptional({ example: 'Failed to process video: insufficient image quality' })
  error?: string;
}

export class RckSuccessDataDto {
  videoId: string;
  youtubeVideoId?: string;
  localFilename?: string;
  videoUrl?: string;
  imgS3Url?: string;
  productId: string;
}

export class RckFailureDataDto {
  videoId: string;
  productId: string;
  error?: string;
  /** Only when the failure was ignored: the video's state, `completed`. */
  status?: string;
}

/** The answer's data while RCK is paused: the callback is stored and applied on resume. */
export class RckHeldDataDto {
  videoId: string;
  @ApiProperty({ enum: [true] })
  held: true;
}
