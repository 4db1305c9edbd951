import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Counter, CounterSchema } from './counter.schema.js';
import { CounterRepository } from './counter.repository.js';
import { Product, ProductSchema } from './product.schema.js';
import { ProductRepository } from './product.repository.js';
import { ProductsController } from './products.controller.js';
import { ProductsService } from './products.service.js';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: Product.name, schema: ProductSchema },
      { name: Counter.name, schema: CounterSchema },
    ]),
  ],
  controllers: [ProductsController],
  providers: [CounterRepository, ProductRepository, ProductsService],
  exports: [ProductRepository],
})
export class ProductsModule {}
