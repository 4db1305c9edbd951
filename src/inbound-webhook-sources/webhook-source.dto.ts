import { ApiProperty } from '@nestjs/swagger';
import { WEBHOOK_SOURCE_NAMES, WEBHOOK_SOURCE_STATES, WebhookSourceState } from './webhook-source.schema.js';
import type { WebhookSourceView } from './webhook-sources.service.js';

/** A webhook source's pause state and its backlog. */
export class WebhookSourceDto {
  @ApiProperty({ enum: WEBHOOK_SOURCE_NAMES })
  source: string;

  /** `active` (handled as they arrive), `paused` (held) or `resuming` (held ones being applied in arrival order; new ones queue behind them). */
  @ApiProperty({ enum: WEBHOOK_SOURCE_STATES, enumName: 'WebhookSourceState' })
  state: WebhookSourceState;

  /** When it was paused; null when active. */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  pausedAt: Date | null;

  /** The email of the superadmin who paused it; null when active. */
  @ApiProperty({ type: String, nullable: true })
  pausedBy: string | null;

  /** Deliveries held and not yet applied. */
  waiting: number;
}

export function toWebhookSourceResponse(view: WebhookSourceView): WebhookSourceDto {
  return { source: view.source, state: view.state, pausedAt: view.pausedAt ?? null, pausedBy: view.pausedBy ?? null, waiting: view.waiting };
}
