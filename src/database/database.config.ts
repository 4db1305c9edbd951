import { IsIn, IsOptional, IsString } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';

class DatabaseEnvironment {
  @IsOptional()
  @IsString()
  MONGODB_URI?: string;

  @IsString()
  DATA_DIR = '.data';

  /**
   * Production needs MONGODB_URI; `true` lets it run on the embedded database instead (a demo on
   * one machine), knowingly (src/config/production-rules.ts).
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  ALLOW_EMBEDDED_DB?: 'true' | 'false';

  @IsIn(['auto', 'mongod', 'wire'])
  EMBEDDED_DB: 'auto' | 'mongod' | 'wire' = 'auto';
}

function check(env: DatabaseEnvironment): string[] {
  return env.MONGODB_URI !== undefined && !/^mongodb(\+srv)?:\/\//.test(env.MONGODB_URI)
    ? ['MONGODB_URI must start with mongodb:// or mongodb+srv://']
    : [];
}

/** MongoDB, or the embedded database main.ts starts without MONGODB_URI (embedded-database.ts). */
export const databaseConfig = defineConfig(
  'database',
  DatabaseEnvironment,
  (env) => ({
    /** Undefined means "start the embedded database". */
    mongodbUri: env.MONGODB_URI,
    /** The embedded database's data; also where the mail outbox goes by default. */
    dataDir: env.DATA_DIR,
    embeddedDb: env.EMBEDDED_DB,
  }),
  { check },
);
export type DatabaseConfig = ConfigType<typeof databaseConfig>;
