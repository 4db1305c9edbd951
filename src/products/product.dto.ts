import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsNotEmpty, IsString, IsUrl, MaxLength } from 'class-validator';
import { PaginationDto } from '../common/pagination.dto.js';
import { IsPlainIdentifier, IsPlainName, Trim } from '../common/text.js';
import { ProductRecord } from './product.repository.js';
import { VIDEO_STATUSES, VideoStatus } from '../common/video-status.js';

export class CreateProductDto {
  @Trim()
  @IsString()
  @IsNotEmpty({ message: 'title is required' })
  @IsPlainName()
  @MaxLength(300)
  title: string;

  /** Unique within the workspace. */
  @Trim()
  @IsString()
  @IsNotEmpty({ message: 'sku is required' })
  @IsPlainIdentifier()
  @MaxLength(100)
  sku: string;

  /**
   * Public image URLs the generator renders from (up to 20). In production they may not point at
   * a loopback, private or link-local address (IMAGE_URLS_ALLOW_PRIVATE).
   */
  @IsArray()
  @ArrayMaxSize(20)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true }, { each: true, message: 'each imageUrls entry must be an http(s) URL' })
  imageUrls: string[] = [];
}

export class ProductVideoDto {
  @ApiPropertyOptional({ example: '65abc123def456789012abcd' })
  videoId?: string;
  templateId?: string;
  templateName?: string;
  @ApiProperty({ enum: VIDEO_STATUSES, enumName: 'VideoStatus' })
  status: VideoStatus;
  videoUrl?: string;
  youtubeUrl?: string;
  imgS3Url?: string;
  error?: string;
  createdAt: Date;
  completedAt?: Date;
  failedAt?: Date;
}

export class ProductResponseDto {
  @ApiProperty({ example: '507f1f77bcf86cd799439013' })
  id: string;
  workspaceId: string;
  title: string;
  sku: string;
  imageUrls: string[];
  videos: ProductVideoDto[];
  createdAt: Date;
  updatedAt: Date;
}

export class ProductListDto {
  products: ProductResponseDto[];
  pagination: PaginationDto;
}

/** The RCK id stays inside: RCK's business, not the API's. */
export function toProductResponse({ rckId: _rckId, ...product }: ProductRecord): ProductResponseDto {
  return { ...product, videos: product.videos.map((video) => ({ ...video })) };
}
