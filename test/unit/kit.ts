/**
 * The unit tier's one place that builds each service under test: the real service, its
 * configuration slices from loadConfig (as the application makes them), and the fakes of
 * fakes.ts in place of its repositories and collaborators. A change of a constructor is fixed
 * here, in one line per service; the specs only read the fakes.
 *
 * The specs live here in test/unit/ rather than beside the services because a spec in src/ may
 * not import test/ (.dependency-cruiser.cjs: a folder cycle src/videos → test/unit → src/videos,
 * and on main the rule src-imports-no-tests-or-tools), and these fakes are shared by several
 * services.
 */
import { Logger } from '@nestjs/common';
import type { Clock } from '../../src/common/clock.js';
import { AppConfig, loadConfig } from '../../src/app.config.js';
import type { JobRunner } from '../../src/jobs/job-runner.js';
import type { MetricsService } from '../../src/metrics/metrics.service.js';
import type { NotificationsService } from '../../src/notifications/notifications.service.js';
import type { OutboundEvents } from '../../src/outbound-webhooks/outbound-events.js';
import type { HttpService } from '@nestjs/axios';
import type { OutboundUrlGuard } from '../../src/outbound-url/outbound-url.js';
import { OutboundDeliveryService } from '../../src/outbound-webhooks/outbound-delivery.service.js';
import type { OutboundMessageRepository } from '../../src/outbound-webhooks/outbound-message.repository.js';
import type { WebhookEndpointRepository } from '../../src/outbound-webhooks/webhook-endpoint.repository.js';
import type { HeygenClient } from '../../src/reels/heygen.provider.js';
import { ReelEventsService } from '../../src/reels/reel-events.service.js';
import { ReelGenerationService } from '../../src/reels/reel-generation.service.js';
import type { ReelRepository } from '../../src/reels/reel.repository.js';
import type { UserRepository } from '../../src/users/user.repository.js';
import type { AIVideoRepository } from '../../src/videos/ai-video.repository.js';
import { BatchDigestService } from '../../src/videos/batch-digest.service.js';
import type { VideoBatchRepository } from '../../src/videos/video-batch.repository.js';
import { VideoCallbacksService } from '../../src/videos/video-callbacks.service.js';
import { VideoEffectsService } from '../../src/videos/video-effects.service.js';
import type { VideoSyncService } from '../../src/videos/video-sync.service.js';
import type { WorkspaceRepository } from '../../src/workspaces/workspace.repository.js';
import { FakeClock } from '../utils/fake-clock.js';
import {
  FakeBatchDigests,
  FakeHeygen,
  FakeHttp,
  FakeOutboundMessages,
  FakeUrlGuard,
  FakeWebhookEndpoints,
  FakeJobRunner,
  FakeMetrics,
  FakeNotifications,
  FakeOutboundEvents,
  FakeReelRepository,
  FakeUsers,
  FakeVideoBatchRepository,
  FakeVideoEffects,
  FakeVideoRepository,
  FakeVideoSync,
  FakeWorkspaces,
} from './fakes.js';

// The services log their decisions; a unit run has no use for them on the console.
Logger.overrideLogger(false);

export const APP_URL = 'https://app.videogen.example.com';
/** The time every unit spec's clock is frozen at (a Sunday noon, UTC). */
export const NOW = new Date('2026-03-01T12:00:00Z');

/** The configuration as the application builds it, for tests; `env` adds or replaces variables. */
export function unitConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', APP_URL, ...env });
}

export function frozenClock(at: Date = NOW): FakeClock {
  const clock = new FakeClock();
  clock.freeze(at.getTime());
  return clock;
}

/**
 * A fake passed where the service's constructor wants the real class. The fakes implement
 * `Pick<Real, methods called>`, which is what keeps them honest; this only waives the rest.
 */
function as<T>(fake: object): T {
  return fake as T;
}

export function newVideoCallbacksService(overrides: { videos?: FakeVideoRepository } = {}) {
  const fakes = { videos: overrides.videos ?? new FakeVideoRepository(), effects: new FakeVideoEffects(), metrics: new FakeMetrics() };
  const service = new VideoCallbacksService(as<AIVideoRepository>(fakes.videos), as<VideoEffectsService>(fakes.effects), as<MetricsService>(fakes.metrics));
  return { service, ...fakes };
}

export function newVideoEffectsService(overrides: { videos?: FakeVideoRepository; env?: Record<string, string> } = {}) {
  const fakes = {
    videos: overrides.videos ?? new FakeVideoRepository(),
    sync: new FakeVideoSync(),
    outbound: new FakeOutboundEvents(),
    notifications: new FakeNotifications(),
    digests: new FakeBatchDigests(),
    workspaces: new FakeWorkspaces(),
  };
  const service = new VideoEffectsService(
    as<AIVideoRepository>(fakes.videos),
    as<VideoSyncService>(fakes.sync),
    as<OutboundEvents>(fakes.outbound),
    as<NotificationsService>(fakes.notifications),
    as<BatchDigestService>(fakes.digests),
    as<WorkspaceRepository>(fakes.workspaces),
    unitConfig(overrides.env).links,
  );
  return { service, ...fakes };
}

export function newBatchDigestService(overrides: { videos?: FakeVideoRepository; clock?: FakeClock; env?: Record<string, string> } = {}) {
  const fakes = {
    jobs: new FakeJobRunner(),
    batches: new FakeVideoBatchRepository(),
    videos: overrides.videos ?? new FakeVideoRepository(),
    users: new FakeUsers(),
    notifications: new FakeNotifications(),
    clock: overrides.clock ?? frozenClock(),
    outbound: new FakeOutboundEvents(),
  };
  const config = unitConfig(overrides.env);
  const service = new BatchDigestService(
    config.videos,
    config.links,
    as<JobRunner>(fakes.jobs),
    as<VideoBatchRepository>(fakes.batches),
    as<AIVideoRepository>(fakes.videos),
    as<UserRepository>(fakes.users),
    as<NotificationsService>(fakes.notifications),
    as<Clock>(fakes.clock),
    as<OutboundEvents>(fakes.outbound),
  );
  return { service, ...fakes };
}

export function newReelEventsService(overrides: { clock?: FakeClock; env?: Record<string, string> } = {}) {
  const fakes = {
    reels: new FakeReelRepository(),
    users: new FakeUsers(),
    notifications: new FakeNotifications(),
    clock: overrides.clock ?? frozenClock(),
    outbound: new FakeOutboundEvents(),
  };
  const service = new ReelEventsService(
    as<ReelRepository>(fakes.reels),
    as<UserRepository>(fakes.users),
    as<NotificationsService>(fakes.notifications),
    as<Clock>(fakes.clock),
    unitConfig(overrides.env).links,
    as<OutboundEvents>(fakes.outbound),
  );
  return { service, ...fakes };
}

/** The reels' generation and reconciliation, over the real ReelEventsService (with its fakes). */
export function newReelGenerationService(overrides: { clock?: FakeClock; env?: Record<string, string> } = {}) {
  const events = newReelEventsService(overrides);
  const fakes = { ...events, events: events.service, heygen: new FakeHeygen(), jobs: new FakeJobRunner() };
  const config = unitConfig(overrides.env);
  const service = new ReelGenerationService(
    config.heygen,
    config.jobs,
    as<JobRunner>(fakes.jobs),
    as<HeygenClient>(fakes.heygen),
    as<ReelRepository>(fakes.reels),
    fakes.events,
    as<Clock>(fakes.clock),
  );
  return { ...fakes, service };
}

export function newOutboundDeliveryService(overrides: { clock?: FakeClock; env?: Record<string, string> } = {}) {
  const fakes = {
    http: new FakeHttp(),
    jobs: new FakeJobRunner(),
    endpoints: new FakeWebhookEndpoints(),
    messages: new FakeOutboundMessages(),
    urls: new FakeUrlGuard(),
    clock: overrides.clock ?? frozenClock(),
    notifications: new FakeNotifications(),
    metrics: new FakeMetrics(),
  };
  const config = unitConfig(overrides.env);
  const service = new OutboundDeliveryService(
    config.outboundWebhooks,
    config.outbound,
    config.jobs,
    config.links,
    as<HttpService>(fakes.http),
    as<JobRunner>(fakes.jobs),
    as<WebhookEndpointRepository>(fakes.endpoints),
    as<OutboundMessageRepository>(fakes.messages),
    as<OutboundUrlGuard>(fakes.urls),
    as<Clock>(fakes.clock),
    as<NotificationsService>(fakes.notifications),
    as<MetricsService>(fakes.metrics),
  );
  return { service, ...fakes };
}
