import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { AlertsModule } from './alerts/alerts.module.js';
import { AuthModule } from './auth/auth.module.js';
import { JwtAuthGuard, RolesGuard } from './auth/auth.guards.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { createRootLogger, nestPinoParams } from './logging/logging.js';
import { createValidationPipe } from './common/validation.pipe.js';
import { CONFIG_SLICES, type AppConfig } from './app.config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { DashboardModule } from './monitoring/dashboard.module.js';
import { MonitoringModule } from './monitoring/monitoring.module.js';
import { ProductsModule } from './products/products.module.js';
import { ReelsModule } from './reels/reels.module.js';
import { UsersModule } from './users/users.module.js';
import { VideosModule } from './videos/videos.module.js';
import { WebhookEventsModule } from './inbound-webhook-events/webhook-events.module.js';
import { WebhookRecordingInterceptor } from './inbound-webhook-events/webhook-recording.interceptor.js';
import { TimelineModule } from './timeline/timeline.module.js';
import { WebhookEndpointsModule } from './outbound-webhooks/webhook-endpoints.module.js';
import { WebhooksModule } from './inbound-webhooks/webhooks.module.js';
import { WebhookSourcesModule } from './inbound-webhook-sources/webhook-sources.module.js';
import { WorkspacesModule } from './workspaces/workspaces.module.js';

export interface AppModuleOptions {
  config: AppConfig;
  mongodbUri: string;
  /** The root logger, shared with the Fastify adapter (createAppParts); one from the config if not given. */
  logger?: Pino;
}

/**
 * The whole request pipeline is registered here as APP_* providers, so a test that builds this
 * module gets exactly what production gets: JWT guard (deny by default), roles, validation, the
 * webhook event log's recording interceptor, one exception filter.
 */
@Module({})
export class AppModule {
  static forRoot({ config, mongodbUri, logger = createRootLogger(config) }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // Request logging: one line per response and the request id in every line (nestjs-pino).
        LoggerModule.forRoot(nestPinoParams(logger)),
        // Each slice under its own token (`@Inject(videosConfig.KEY)`), never the whole.
        ConfigModule.forRoot(CONFIG_SLICES, config),
        DatabaseModule.forRoot(mongodbUri),
        MetricsModule,
        MonitoringModule,
        JobsModule,
        HealthModule,
        AuthModule,
        UsersModule,
        WorkspacesModule,
        ProductsModule,
        VideosModule,
        ReelsModule,
        WebhooksModule,
        WebhookEventsModule,
        WebhookSourcesModule,
        WebhookEndpointsModule,
        AlertsModule,
        TimelineModule,
        DashboardModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        // Records every delivery to a @WebhookReceiver route (src/inbound-webhook-events/).
        { provide: APP_INTERCEPTOR, useClass: WebhookRecordingInterceptor },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
