import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsNotEmpty, IsString, IsUrl, MaxLength } from 'class-validator';
import { PaginationDto } from '../common/pagination.dto.js';
import { ProductRecord } from './product.repository.js';
import { VIDEO_STATUSES, VideoStatus } from './product.schema.js';

const trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

export class CreateProductDto {
  @trim()
  @IsString()
  @IsNotEmpty({ message: 'title is required' })
  @MaxLength(300)
  title: string;

  /** Unique within the workspace. */
  @trim()
  @IsString()
  @IsNotEmpty({ message: 'sku is required' })
  @MaxLength(100)
  sku: string;

  /** Public image URLs the generator renders from (up to 20). */
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

export function toProductResponse(product: ProductRecord): ProductResponseDto {
  return { ...product, videos: product.videos.map((video) => ({ ...video })) };
}
