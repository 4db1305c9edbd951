import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { getModelToken, MongooseModule } from '@nestjs/mongoose';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { Model } from 'mongoose';
import { jwtConfig, type JwtConfig } from './jwt.config.js';
import { loginConfig, type LoginConfig } from './login.config.js';
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
      inject: [loginConfig.KEY, getModelToken(RateLimitWindow.name)],
      useFactory: (config: LoginConfig, windows: Model<RateLimitWindow>) => ({
        throttlers: [{ ttl: config.rateLimit.windowMs, limit: config.rateLimit.max }],
        storage: new MongoThrottlerStorage(windows),
        errorMessage: 'Too many login attempts from this address; try again later',
      }),
    }),
    JwtModule.registerAsync({
      inject: [jwtConfig.KEY],
      useFactory: (config: JwtConfig) => ({
        secret: config.secret,
        signOptions: { expiresIn: config.expiresInSeconds, algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, JwtStrategy, LoginAttemptRepository],
})
export class AuthModule {}
