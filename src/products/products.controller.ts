import { Body, Controller, Get, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth } from '../common/auth.decorators.js';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, pagination, SuccessEnvelope } from '../common/envelope.js';
import { ParseObjectIdPipe } from '../common/object-id.js';
import { pageWindow, PaginationQueryDto } from '../common/pagination.dto.js';
import { WorkspaceId } from '../common/workspace-id.decorator.js';
import { CreateProductDto, ProductListDto, ProductResponseDto, toProductResponse } from './product.dto.js';
import { ProductsService } from './products.service.js';

@ApiTags('products')
@Controller('api/products')
@Auth()
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  /** Add a product to the caller's workspace. */
  @Post()
  @ApiEnvelopeResponse(ProductResponseDto, { status: HttpStatus.CREATED })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN, HttpStatus.CONFLICT)
  async create(
    @WorkspaceId() workspaceId: string,
    @Body() dto: CreateProductDto,
  ): Promise<SuccessEnvelope<ProductResponseDto>> {
    return ok(toProductResponse(await this.products.create(workspaceId, dto)));
  }

  /** The caller's workspace's products, newest first. */
  @Get()
  @ApiEnvelopeResponse(ProductListDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN)
  async list(
    @WorkspaceId() workspaceId: string,
    @Query() query: PaginationQueryDto,
  ): Promise<SuccessEnvelope<ProductListDto>> {
    const { page, limit, skip } = pageWindow(query);
    const { products, total } = await this.products.list(workspaceId, skip, limit);
    return ok({ products: products.map(toProductResponse), pagination: pagination(page, limit, total) });
  }

  /** One product of the caller's workspace, with its videos. */
  @Get(':id')
  @ApiEnvelopeResponse(ProductResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.FORBIDDEN, HttpStatus.NOT_FOUND)
  async findOne(
    @WorkspaceId() workspaceId: string,
    @Param('id', new ParseObjectIdPipe('Invalid product id format')) id: string,
  ): Promise<SuccessEnvelope<ProductResponseDto>> {
    return ok(toProductResponse(await this.products.get(workspaceId, id)));
  }
}
