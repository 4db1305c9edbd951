import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, register } from 'prom-client';

/**
 * The service's own Prometheus metrics, in prom-client's default registry (the one
 * @willsoto/nestjs-prometheus serves on /metrics beside the process metrics). Each metric is
 * created once per process and reused, so several application instances in one process (tests)
 * share it instead of failing on a duplicate name.
 */
@Injectable()
export class MetricsService {
  readonly httpDuration = metric('videogen_http_request_duration_seconds', () =>
    new Histogram({
      name: 'videogen_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
  );

  readonly webhookDeliveries = metric('videogen_webhook_deliveries_total', () =>
    new Counter({
      name: 'videogen_webhook_deliveries_total',
      help: 'Webhook deliveries received, by source, event type and outcome',
      labelNames: ['source', 'event_type', 'outcome'] as const,
    }),
  );

  readonly videoTransitions = metric('videogen_video_status_transitions_total', () =>
    new Counter({
      name: 'videogen_video_status_transitions_total',
      help: 'AIVideo status changes, by the status entered',
      labelNames: ['status'] as const,
    }),
  );

  readonly reelTransitions = metric('videogen_reel_status_transitions_total', () =>
    new Counter({
      name: 'videogen_reel_status_transitions_total',
      help: 'HeyGen reel status changes, by the status entered (requested, approved, rejected, processing, completed, failed)',
      labelNames: ['status'] as const,
    }),
  );

  readonly recorderBacklog = metric('videogen_webhook_event_backlog', () =>
    new Gauge({
      name: 'videogen_webhook_event_backlog',
      help: 'Webhook events recorded and waiting to be written to the event log (grows while the database refuses writes)',
      collect() {
        if (recorderBacklog) this.set(recorderBacklog());
      },
    }),
  );

  readonly generationSeconds = metric('videogen_video_generation_seconds', () =>
    new Histogram({
      name: 'videogen_video_generation_seconds',
      help: 'Time from a video being queued to its completion',
      buckets: [30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400],
    }),
  );

  readonly jobRuns = metric('videogen_job_runs_total', () =>
    new Counter({
      name: 'videogen_job_runs_total',
      help: 'Background job runs, by job name and result (succeeded, retried, failed for good)',
      labelNames: ['job', 'result'] as const,
    }),
  );

  readonly outboundAttempts = metric('videogen_outbound_attempts_total', () => {
    const counter = new Counter({
      name: 'videogen_outbound_attempts_total',
      help:
        "Delivery attempts to customers' webhook endpoints, by outcome: success (2xx), http_error (any other answer), " +
        'timeout (no answer in time), network_error (no answer: connection refused or reset, DNS), refused (the address rule stopped it)',
      labelNames: ['outcome'] as const,
    });
    // Every outcome from the first scrape on, so a rate over them never starts from nothing.
    for (const outcome of OUTBOUND_ATTEMPT_OUTCOMES) counter.inc({ outcome }, 0);
    return counter;
  });

  readonly jobQueue = metric('videogen_jobs', () =>
    new Gauge({
      name: 'videogen_jobs',
      help: 'Background jobs by state: waiting (one-off, due or scheduled), running, failed for good',
      labelNames: ['state'] as const,
      // Read from the database at scrape time: the queue is shared by every instance.
      async collect() {
        const counts = await countJobs?.().catch(() => undefined);
        if (!counts) return;
        for (const [state, value] of Object.entries(counts)) this.set({ state }, value);
      },
    }),
  );

  /** The job runner says how to count its jobs (it depends on this service, not the reverse). */
  countJobsWith(counts: () => Promise<{ waiting: number; running: number; failed: number }>): void {
    countJobs = counts;
  }

  /** The event recorder says how many events wait (it depends on this service, not the reverse). */
  recorderBacklogWith(backlog: () => number): void {
    recorderBacklog = backlog;
  }

  /** One attempt at delivering a message to a customer's endpoint, by what came of it. */
  outboundAttempt(outcome: OutboundAttemptOutcome): void {
    this.outboundAttempts.inc({ outcome });
  }

  reelEntered(status: string): void {
    this.reelTransitions.inc({ status });
  }

  videoEntered(status: string, count = 1): void {
    if (count > 0) this.videoTransitions.inc({ status }, count);
  }

  videoCompleted(queuedAt: Date, completedAt: Date): void {
    this.videoEntered('completed');
    this.generationSeconds.observe(Math.max(0, (completedAt.getTime() - queuedAt.getTime()) / 1000));
  }
}

export const OUTBOUND_ATTEMPT_OUTCOMES = ['success', 'http_error', 'timeout', 'network_error', 'refused'] as const;
export type OutboundAttemptOutcome = (typeof OUTBOUND_ATTEMPT_OUTCOMES)[number];

/** Per process, like the registry: the job runner of the application started last. */
let countJobs: (() => Promise<{ waiting: number; running: number; failed: number }>) | undefined;
let recorderBacklog: (() => number) | undefined;

function metric<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}
