import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, PipelineStage, Types } from 'mongoose';
import { WebhookEvent, WebhookEventStatus } from '../inbound-webhook-events/webhook-event.schema.js';

/** The bucket sizes the dashboard's delivery chart may use, in minutes, finest first. */
export const BUCKET_MINUTES = [1, 5, 15, 60, 360, 1440, 10080] as const;
/** A range gets the finest bucket that makes at most this many bars. */
export const MAX_BUCKETS = 48;

/**
 * The bucket for a range: the finest of BUCKET_MINUTES giving at most MAX_BUCKETS buckets, so a
 * 1-hour range is drawn in 5-minute bars, 24 hours in hours, 7 days in 6 hours, 30 days in days.
 */
export function bucketMinutesFor(rangeMs: number): number {
  return BUCKET_MINUTES.find((minutes) => Math.ceil(rangeMs / (minutes * 60_000)) <= MAX_BUCKETS) ?? BUCKET_MINUTES[BUCKET_MINUTES.length - 1];
}

/**
 * Deliveries in [from, to) by bucket and status (bucket starts are UTC, aligned on multiples of the
 * bucket since 2000-01-01, so hours and days start on the hour and at midnight). Read through the
 * event log's createdAt index, or its workspace one; exported for the index-use test.
 */
export function deliveryVolumePipeline(from: Date, to: Date, bucketMinutes: number, workspaceId?: string): PipelineStage[] {
  return [
    { $match: { ...(workspaceId && { workspaceId: new Types.ObjectId(workspaceId) }), createdAt: { $gte: from, $lt: to } } },
    {
      $group: {
        _id: { start: { $dateTrunc: { date: '$createdAt', unit: 'minute', binSize: bucketMinutes } }, status: '$status' },
        count: { $sum: 1 },
      },
    },
    { $project: { _id: 0, start: '$_id.start', status: '$_id.status', count: 1 } },
  ];
}

/** The dashboard's read of the webhook event log for its delivery chart (a read-side: it never writes). */
@Injectable()
export class DeliveryVolumeRepository {
  constructor(@InjectModel(WebhookEvent.name) private readonly events: Model<WebhookEvent>) {}

  async countByBucket(from: Date, to: Date, bucketMinutes: number, workspaceId?: string): Promise<Array<{ start: Date; status: WebhookEventStatus; count: number }>> {
    return this.events.aggregate<{ start: Date; status: WebhookEventStatus; count: number }>(deliveryVolumePipeline(from, to, bucketMinutes, workspaceId)).exec();
  }
}
