import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { productsConfig, type ProductsConfig } from './products.config.js';
import { isDuplicateKeyError } from '../common/mongo-errors.js';
import { pointsAtInternalAddress } from '../common/net.js';
import { CreateProductDto } from './product.dto.js';
import { ProductRecord, ProductRepository } from './product.repository.js';

@Injectable()
export class ProductsService {
  constructor(
    private readonly products: ProductRepository,
    @Inject(productsConfig.KEY) private readonly config: ProductsConfig,
  ) {}

  async create(workspaceId: string, dto: CreateProductDto): Promise<ProductRecord> {
    if (!this.config.allowInternalImageUrls) {
      const internal = dto.imageUrls.findIndex(pointsAtInternalAddress);
      if (internal !== -1) {
        const message = 'imageUrls must not point at loopback, private or link-local addresses';
        throw new BadRequestException({ message, errors: [{ field: `imageUrls.${internal}`, messages: [message] }] });
      }
    }
    try {
      return await this.products.create(workspaceId, { title: dto.title, sku: dto.sku, imageUrls: dto.imageUrls });
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new ConflictException(`A product with sku ${dto.sku} already exists`);
      throw error;
    }
  }

  /** A product of another workspace is "not found", exactly like one that does not exist. */
  async get(workspaceId: string, productId: string): Promise<ProductRecord> {
    const product = await this.products.findInWorkspace(workspaceId, productId);
    if (!product) throw new NotFoundException('Product not found');
    return product;
  }

  list(workspaceId: string, skip: number, limit: number) {
    return this.products.listInWorkspace(workspaceId, skip, limit);
  }
}
