import { randomBytes } from 'node:crypto';
import { IsInt, IsOptional, IsString, Min, MinLength } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';

class JwtEnvironment {
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters long' })
  JWT_SECRET?: string;

  @AsNumber()
  @Min(60)
  @IsInt()
  JWT_EXPIRES_IN_SECONDS = 3600;
}

/** The API's access tokens: the secret that signs them and their lifetime. */
export const jwtConfig = defineConfig('jwt', JwtEnvironment, (env) => ({
  // Unset (development; production refuses it): a per-process random secret. Tokens stop working
  // on restart, which is loud enough to notice (with the warning of src/config/production-rules.ts)
  // and can never be guessed from the source code.
  secret: env.JWT_SECRET ?? randomBytes(32).toString('hex'),
  expiresInSeconds: env.JWT_EXPIRES_IN_SECONDS,
}));
export type JwtConfig = ConfigType<typeof jwtConfig>;
