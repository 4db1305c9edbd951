import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { getModelToken, MongooseModule } from '@nestjs/mongoose';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { Model } from 'mongoose';
import { AppConfig } from '../config/app-config.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { JwtStrategy } from './jwt.strategy.js';
import { LoginAttemptRepository } from './login-attempt.repository.js';
import { LoginAttempt, LoginAttemptSchema } from './login-attempt.schema.js';
import { MongoThrottlerStorage, RateLimitWindow, RateLimitWindowSchema } from './rate-limit.store.js';

@Module({
  imports: [
    PassportModule,
    UsersModule,
    MongooseModule.forFeature([{ name: LoginAttempt.name, schema: LoginAttemptSchema }]),
    // Only the login uses ThrottlerGuard, so this one throttler is the login's per-address limit,
    // counted in MongoDB so that every instance shares it.
    ThrottlerModule.forRootAsync({
      imports: [MongooseModule.forFeature([{ name: RateLimitWindow.name, schema: RateLimitWindowSchema }])],
      inject: [AppConfig, getModelToken(RateLimitWindow.name)],
      useFactory: (config: AppConfig, windows: Model<RateLimitWindow>) => ({
        throttlers: [{ ttl: config.loginRateLimit.windowMs, limit: config.loginRateLimit.max }],
        storage: new MongoThrottlerStorage(windows),
        errorMessage: 'Too many login attempts from this address; try again later',
      }),
    }),
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: config.jwt.secret,
        signOptions: { expiresIn: config.jwt.expiresInSeconds, algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, JwtStrategy, LoginAttemptRepository],
})
export class AuthModule {}
