import { Controller, Get, HttpStatus, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  MongooseHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../common/auth.decorators.js';
import { ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, SuccessEnvelope } from '../common/envelope.js';
import { webhookEventsConfig, type WebhookEventsConfig } from '../inbound-webhook-events/webhook-events.config.js';
import { embeddedJournalHealth } from '../database/embedded-database.js';
import { JobRunner } from '../jobs/job-runner.js';
import { WebhookEventRecorder } from '../inbound-webhook-events/webhook-event.recorder.js';
import { ShutdownState } from './shutdown-state.js';

/** Probes for people (/health) and for an orchestrator (/health/live, /health/ready). */
@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mongoose: MongooseHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly jobs: JobRunner,
    private readonly recorder: WebhookEventRecorder,
    @Inject(webhookEventsConfig.KEY) private readonly webhookEventsConfig: WebhookEventsConfig,
    private readonly shutdown: ShutdownState,
  ) {}

  /** Liveness and database state; 503 when MongoDB does not answer a ping within 3 s. */
  @Get()
  @HealthCheck()
  @ApiErrorResponses(HttpStatus.SERVICE_UNAVAILABLE)
  async check(): Promise<SuccessEnvelope<HealthCheckResult>> {
    return ok(await this.health.check([() => this.database()]));
  }

  /** The process answers (no dependency is checked: restart only what is itself stuck). */
  @Get('live')
  live(): SuccessEnvelope<{ status: 'ok' }> {
    return ok({ status: 'ok' });
  }

  /**
   * Ready for traffic: the process is not shutting down, the database answers, background jobs
   * are being processed and the webhook event log is not backed up (at most
   * READY_MAX_RECORDER_BACKLOG events waiting); with the embedded wire server, its journal has not
   * failed and keeps up with the writes; 503 otherwise.
   */
  @Get('ready')
  @HealthCheck()
  @ApiErrorResponses(HttpStatus.SERVICE_UNAVAILABLE)
  async ready(): Promise<SuccessEnvelope<HealthCheckResult>> {
    const journal = embeddedJournalHealth() ? [() => this.embeddedJournal()] : [];
    return ok(await this.health.check([() => this.running(), () => this.database(), () => this.jobRunner(), () => this.eventRecorder(), ...journal]));
  }

  private running() {
    const indicator = this.indicators.check('process');
    const since = this.shutdown.shuttingDownSince;
    return since ? indicator.down({ message: `shutting down since ${since.toISOString()}` }) : indicator.up();
  }

  private database() {
    return this.mongoose.pingCheck('mongodb', { timeout: 3000 });
  }

  private jobRunner() {
    const indicator = this.indicators.check('jobs');
    return this.jobs.processing ? indicator.up() : indicator.down({ message: 'the job runner is not processing jobs' });
  }

  private embeddedJournal() {
    const indicator = this.indicators.check('embeddedDatabase');
    const health = embeddedJournalHealth();
    return !health || health.up ? indicator.up(health?.details) : indicator.down(health.details);
  }

  private eventRecorder() {
    const indicator = this.indicators.check('webhookEvents');
    const backlog = this.recorder.pending;
    const max = this.webhookEventsConfig.readyMaxBacklog;
    return backlog <= max
      ? indicator.up({ backlog })
      : indicator.down({ backlog, message: `${backlog} webhook events wait to be written (more than ${max})` });
  }
}
