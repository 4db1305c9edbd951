import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, Types } from 'mongoose';
import type { WebhookSource } from '../inbound-webhook-contract/signature-verifiers.js';

export const ALERT_SOURCES = ['rck', 'heygen'] as const satisfies readonly WebhookSource[];

/**
 * What a rule measures, over its window:
 * - `failure_rate`: the percentage of a source's deliveries (or all) answered with an error
 *   (`rejected` or `failed`), once at least `minDeliveries` arrived;
 * - `refused_deliveries`: how many deliveries were refused before their handler (`rejected`);
 * - `stuck_videos` / `stuck_reels`: how many videos (pending, generating) or reels (approved,
 *   processing) have not changed for longer than the window;
 * - `failing_endpoint`: how many enabled customer endpoints have been failing for longer than the window;
 * - `recorder_backlog`: how many webhook events wait to be written on the evaluating instance.
 */
export const ALERT_KINDS = ['failure_rate', 'refused_deliveries', 'stuck_videos', 'stuck_reels', 'failing_endpoint', 'recorder_backlog'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

@Schema({ _id: false })
export class AlertChannels {
  @Prop({ type: [String], default: [] })
  emails: string[];

  @Prop()
  slackWebhookUrl?: string;

  @Prop()
  discordWebhookUrl?: string;
}

/** A superadmin's alert rule: it breaches when its measure reaches `threshold`. */
@Schema({ collection: 'alertrules', timestamps: true })
export class AlertRule {
  @Prop({ required: true, trim: true })
  name: string;

  @Prop({ required: true, enum: ALERT_KINDS, type: String })
  kind: AlertKind;

  @Prop({ enum: ALERT_SOURCES, type: String })
  source?: WebhookSource;

  @Prop({ required: true, min: 0 })
  threshold: number;

  @Prop({ required: true, min: 1 })
  windowMinutes: number;

  /** failure_rate only: fewer deliveries than this in the window never breach. */
  @Prop({ min: 1 })
  minDeliveries?: number;

  @Prop({ required: true, default: true })
  enabled: boolean;

  @Prop({ type: SchemaFactory.createForClass(AlertChannels), required: true })
  channels: AlertChannels;

  createdAt: Date;
  updatedAt: Date;
}

export type AlertRuleDocument = HydratedDocument<AlertRule>;
export const AlertRuleSchema = SchemaFactory.createForClass(AlertRule);

export const INCIDENT_STATUSES = ['open', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** What an incident announces: that it opened, and that it resolved. */
export const INCIDENT_TRANSITIONS = ['opened', 'resolved'] as const;
export type IncidentTransition = (typeof INCIDENT_TRANSITIONS)[number];

/**
 * One breach of a rule, from the evaluation that found it to the one that found it over. At most
 * one incident of a rule is open (a unique partial index), so instances evaluating at once open
 * it once, and each transition is one conditional update: one message when it opens, one when it
 * resolves.
 */
@Schema({ collection: 'alertincidents', versionKey: false })
export class AlertIncident {
  @Prop({ type: Types.ObjectId, required: true })
  ruleId: Types.ObjectId;

  @Prop({ required: true })
  ruleName: string;

  @Prop({ required: true, enum: ALERT_KINDS, type: String })
  kind: AlertKind;

  @Prop({ required: true, enum: INCIDENT_STATUSES, type: String })
  status: IncidentStatus;

  @Prop({ required: true })
  threshold: number;

  /** The measure when it opened, and the latest one seen while open. */
  @Prop({ required: true })
  openedValue: number;

  @Prop({ required: true })
  lastValue: number;

  @Prop({ required: true })
  openedAt: Date;

  @Prop()
  resolvedAt?: Date;

  @Prop()
  resolvedValue?: number;

  /**
   * Announcements owed: added by the write that opens or resolves the incident, removed once its
   * messages are queued (each once for good), so a crash in between delays them to the next
   * evaluation and never loses them. Absent when nothing is owed.
   */
  @Prop({ type: [String], enum: INCIDENT_TRANSITIONS, default: undefined })
  owedAnnouncements?: IncidentTransition[];
}

export type AlertIncidentDocument = HydratedDocument<AlertIncident>;
export const AlertIncidentSchema = SchemaFactory.createForClass(AlertIncident);
AlertIncidentSchema.index({ ruleId: 1 }, { name: 'one_open_incident_per_rule', unique: true, partialFilterExpression: { status: 'open' } });
AlertIncidentSchema.index({ status: 1, openedAt: -1 });
// Each evaluation's owed announcements: only incidents that owe one are in it.
AlertIncidentSchema.index({ openedAt: 1 }, { name: 'owed_announcements', partialFilterExpression: { owedAnnouncements: { $exists: true } } });
