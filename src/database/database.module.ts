import { DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';

/** The one Mongoose connection. The URI is resolved before the app starts (see main.ts). */
@Module({})
export class DatabaseModule {
  static forRoot(uri: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        MongooseModule.forRoot(uri, {
          serverSelectionTimeoutMS: 10_000,
          // Indexes (unique SKUs, emails, TTLs) are part of correctness here, not an optimisation.
          autoIndex: true,
          autoCreate: true,
        }),
      ],
    };
  }
}
