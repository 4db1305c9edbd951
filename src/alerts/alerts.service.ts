import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { errorMessage } from '../common/error-message.js';
import { alertsConfig, type AlertsConfig } from './alerts.config.js';
import { chatConfig, type ChatConfig } from '../notifications/chat.config.js';
import { jobsConfig, type JobsConfig } from '../jobs/jobs.config.js';
import { linksConfig, type LinksConfig } from '../config/links.config.js';
import { outboundConfig, type OutboundConfig } from '../outbound-url/outbound.config.js';
import { JobRunner } from '../jobs/job-runner.js';
import { ChatEvent, discordMessage, slackMessage } from '../notifications/chat-messages.js';
import { ChatSender } from '../notifications/chat.sender.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { WebhookEventRecorder } from '../inbound-webhook-events/webhook-event.recorder.js';
import { AlertIncidentRecord, AlertRepository, AlertRuleRecord } from './alert.repository.js';
import type { IncidentTransition } from './alert.schema.js';

export const EVALUATE_JOB = 'alerts.evaluate';
export const CHAT_ALERT_JOB = 'alerts.chat';
/** Owed announcements one evaluation pays at most (the earliest first); the next pays the rest. */
const OWED_ANNOUNCEMENTS_PER_RUN = 100;

type Transition = IncidentTransition;

/** A chat message about an incident: the rule's URL (a secret) is read when sending. */
interface ChatAlertJobData {
  incidentId: string;
  transition: Transition;
  channel: 'slack' | 'discord';
}

/** What one evaluation of a rule found. */
export interface RuleEvaluation {
  ruleId: string;
  value: number;
  breached: boolean;
  opened?: string;
  resolved?: string;
}

/**
 * Alerts for superadmins. The job runner evaluates every enabled rule each
 * ALERTS_EVALUATE_EVERY_MS: a rule whose measure reaches its threshold opens an incident, and
 * one that no longer does resolves it. Opening and resolving are conditional writes (one open
 * incident per rule, by a unique index), so however many instances evaluate, each incident sends
 * one message when it opens and one when it resolves, never one per delivery; each message is
 * queued once for good per incident, transition and channel.
 */
@Injectable()
export class AlertsService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(AlertsService.name);

  constructor(
    private readonly alerts: AlertRepository,
    private readonly jobs: JobRunner,
    private readonly notifications: NotificationsService,
    private readonly chatSender: ChatSender,
    private readonly recorder: WebhookEventRecorder,
    private readonly clock: Clock,
    @Inject(alertsConfig.KEY) private readonly config: AlertsConfig,
    @Inject(chatConfig.KEY) private readonly chatConfig: ChatConfig,
    @Inject(jobsConfig.KEY) private readonly jobsConfig: JobsConfig,
    @Inject(outboundConfig.KEY) private readonly outboundConfig: OutboundConfig,
    @Inject(linksConfig.KEY) private readonly linksConfig: LinksConfig,
  ) {}

  onModuleInit(): void {
    this.jobs.define(EVALUATE_JOB, () => this.evaluate().then(() => undefined), { concurrency: 1 });
    const chat = this.chatConfig;
    this.jobs.define<ChatAlertJobData>(CHAT_ALERT_JOB, (job) => this.sendChat(job), {
      lockLifetimeMs: Math.max(this.jobsConfig.lockLifetimeMs, this.outboundConfig.timeoutMs * 2),
      backoff: { delayMs: chat.retryBackoffMs, factor: 2, maxRetries: chat.maxAttempts - 1, jitter: 0.2 },
      onFinalFailure: async (job, error) => {
        this.logger.error(`Alert ${job.transition} message for incident ${job.incidentId} not sent to ${job.channel} after ${chat.maxAttempts} attempt(s): ${error.message}`);
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.every(EVALUATE_JOB, this.config.evaluateEveryMs);
  }

  /**
   * Announces what a crash (or a queue that refused) left owed, then evaluates every enabled rule
   * now; a rule that fails to evaluate is logged and skipped.
   */
  async evaluate(): Promise<RuleEvaluation[]> {
    // First, so that an incident's owed "opened" goes out before this evaluation may resolve it.
    await this.payOwedAnnouncements();
    const now = this.clock.now();
    const results: RuleEvaluation[] = [];
    for (const rule of await this.alerts.findEnabledRules()) {
      try {
        results.push(await this.evaluateRule(rule, now));
      } catch (error) {
        this.logger.error(`Alert rule "${rule.name}" (${rule.id}) not evaluated: ${errorMessage(error)}`);
      }
    }
    return results;
  }

  /**
   * Announcements owed by incidents whose open or resolve was written but not announced. Each
   * message is queued once for good, so paying one that its evaluation is announcing at the same
   * moment sends nothing twice. A rule deleted meanwhile has nobody to tell.
   */
  private async payOwedAnnouncements(): Promise<void> {
    let owed: AlertIncidentRecord[];
    try {
      owed = await this.alerts.findOwedAnnouncements(OWED_ANNOUNCEMENTS_PER_RUN);
    } catch (error) {
      this.logger.error(`Owed alert announcements not read; the next evaluation tries again (${errorMessage(error)})`);
      return;
    }
    for (const incident of owed) {
      try {
        const rule = await this.alerts.findRule(incident.ruleId);
        for (const transition of incident.owedAnnouncements ?? []) {
          if (rule) await this.announce(rule, incident, transition);
          await this.alerts.announcementPaid(incident.id, transition);
        }
      } catch (error) {
        this.logger.error(`Alert incident ${incident.id}: its owed announcement was not queued; the next evaluation tries again (${errorMessage(error)})`);
      }
    }
  }

  private async evaluateRule(rule: AlertRuleRecord, now: Date): Promise<RuleEvaluation> {
    const { value, breached } = await this.measure(rule, now);
    const result: RuleEvaluation = { ruleId: rule.id, value, breached };
    if (breached) {
      const opened = await this.alerts.openIncident(rule, value, now);
      if (opened) {
        result.opened = opened.id;
        this.logger.warn(`Alert "${rule.name}" opened: ${describeMeasure(rule, value)}`);
        await this.announce(rule, opened, 'opened');
        await this.alerts.announcementPaid(opened.id, 'opened');
      }
    } else {
      const resolved = await this.alerts.resolveIncident(rule.id, value, now);
      if (resolved) {
        result.resolved = resolved.id;
        this.logger.log(`Alert "${rule.name}" resolved: ${describeMeasure(rule, value)}`);
        await this.announce(rule, resolved, 'resolved');
        await this.alerts.announcementPaid(resolved.id, 'resolved');
      }
    }
    return result;
  }

  /** The rule's measure now, and whether it breaches (reaches the threshold). */
  async measure(rule: AlertRuleRecord, now: Date): Promise<{ value: number; breached: boolean }> {
    const since = new Date(now.getTime() - rule.windowMinutes * 60_000);
    switch (rule.kind) {
      case 'failure_rate': {
        const { total, errors } = await this.alerts.deliveryOutcomes(since, rule.source);
        const value = total === 0 ? 0 : Math.round((errors / total) * 1000) / 10;
        return { value, breached: total >= (rule.minDeliveries ?? 1) && value >= rule.threshold };
      }
      case 'refused_deliveries': {
        const { refused } = await this.alerts.deliveryOutcomes(since, rule.source);
        return { value: refused, breached: refused >= rule.threshold };
      }
      case 'stuck_videos':
        return reaches(await this.alerts.stuckVideos(since), rule.threshold);
      case 'stuck_reels':
        return reaches(await this.alerts.stuckReels(since), rule.threshold);
      case 'failing_endpoint':
        return reaches(await this.alerts.failingEndpoints(since), rule.threshold);
      case 'recorder_backlog':
        return reaches(this.recorder.pending, rule.threshold);
    }
  }

  /** One e-mail per address and one message per chat channel, each queued once for good. */
  private async announce(rule: AlertRuleRecord, incident: AlertIncidentRecord, transition: Transition): Promise<void> {
    const event = chatEvent(rule, incident, transition, this.linksConfig.serverUrl);
    for (const to of rule.channels.emails) {
      await this.notifications.email({ to, subject: `[videogen] ${event.title}`, text: mailText(event) }, { incidentId: incident.id, transition, to }, { once: true });
    }
    for (const channel of ['slack', 'discord'] as const) {
      if (!(channel === 'slack' ? rule.channels.slackWebhookUrl : rule.channels.discordWebhookUrl)) continue;
      await this.jobs.enqueue<ChatAlertJobData>(CHAT_ALERT_JOB, { incidentId: incident.id, transition, channel }, { onceKey: { incidentId: incident.id, transition, channel } });
    }
  }

  private async sendChat(job: ChatAlertJobData): Promise<void> {
    const incident = await this.alerts.findIncident(job.incidentId);
    const rule = incident && (await this.alerts.findRule(incident.ruleId));
    // A rule deleted meanwhile, or its channel removed: nothing to send to.
    const url = job.channel === 'slack' ? rule?.channels.slackWebhookUrl : rule?.channels.discordWebhookUrl;
    if (!incident || !rule || !url) return;
    const event = chatEvent(rule, incident, job.transition, this.linksConfig.serverUrl);
    await this.chatSender.post(url, job.channel === 'slack' ? slackMessage(event) : discordMessage(event));
  }
}

function reaches(value: number, threshold: number): { value: number; breached: boolean } {
  return { value, breached: value >= threshold };
}

const MEASURES: Record<AlertRuleRecord['kind'], (rule: AlertRuleRecord, value: number) => string> = {
  failure_rate: (rule, value) => `${value} % of ${rule.source ?? 'all'} deliveries failed in the last ${rule.windowMinutes} min (threshold ${rule.threshold} %)`,
  refused_deliveries: (rule, value) => `${value} ${rule.source ?? ''} deliveries refused in the last ${rule.windowMinutes} min (threshold ${rule.threshold})`.replace('  ', ' '),
  stuck_videos: (rule, value) => `${value} video(s) pending or generating with no change for ${rule.windowMinutes} min (threshold ${rule.threshold})`,
  stuck_reels: (rule, value) => `${value} reel(s) approved or processing with no change for ${rule.windowMinutes} min (threshold ${rule.threshold})`,
  failing_endpoint: (rule, value) => `${value} customer endpoint(s) failing for more than ${rule.windowMinutes} min (threshold ${rule.threshold})`,
  recorder_backlog: (rule, value) => `${value} webhook event(s) wait to be written (threshold ${rule.threshold})`,
};

function describeMeasure(rule: AlertRuleRecord, value: number): string {
  return MEASURES[rule.kind](rule, value);
}

function chatEvent(rule: AlertRuleRecord, incident: AlertIncidentRecord, transition: Transition, serverUrl: string): ChatEvent {
  const opened = transition === 'opened';
  const value = opened ? incident.openedValue : (incident.resolvedValue ?? incident.lastValue);
  return {
    title: `${opened ? 'Alert' : 'Resolved'}: ${rule.name}`,
    text: describeMeasure(rule, value),
    level: opened ? 'error' : 'success',
    fields: [
      { name: 'Rule', value: rule.kind },
      { name: 'Opened', value: incident.openedAt.toISOString() },
      ...(incident.resolvedAt ? [{ name: 'Resolved', value: incident.resolvedAt.toISOString() }] : []),
    ],
    link: { label: 'Open the dashboard', url: `${serverUrl}/dashboard` },
  };
}

function mailText(event: ChatEvent): string {
  return [event.text, '', ...event.fields.map((field) => `${field.name}: ${field.value}`), '', `${event.link!.label}: ${event.link!.url}`].join('\n');
}
