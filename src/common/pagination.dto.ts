import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class PaginationQueryDto {
  /** Page number, starting at 1. */
  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(100_000)
  @IsInt()
  page?: number = 1;

  /** Results per page (at most 100). */
  @ApiPropertyOptional({ default: 20 })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(100)
  @IsInt()
  limit?: number = 20;
}

export class PaginationDto {
  @ApiProperty({ example: 1 })
  page: number;
  @ApiProperty({ example: 20 })
  limit: number;
  @ApiProperty({ example: 2 })
  total: number;
  @ApiProperty({ example: 1 })
  totalPages: number;
}

/** The page a query asks for, with the defaults applied, and how many results to skip. */
export function pageWindow(query: PaginationQueryDto): { page: number; limit: number; skip: number } {
  const page = query.page ?? 1;
  const limit = query.limit ?? 20;
  return { page, limit, skip: (page - 1) * limit };
}
