import { Injectable } from '@nestjs/common';
import { WebhookHandled } from '../inbound-webhook-contract/webhook-handled.js';

/** What a replay knows of the delivery beyond its body. */
export interface ReplayContext {
  /** When the replayed delivery arrived: a handler ignores a delivery older than the state it would change. */
  receivedAt: Date;
}

/**
 * Runs a stored payload through the endpoint's own handler (validation included); throws as the
 * live route would (an HttpException for the sender's faults).
 */
export type ReplayHandler = (payload: unknown, context: ReplayContext) => Promise<WebhookHandled>;

/**
 * Which handler replays the deliveries of which endpoint. Each webhook controller registers its
 * own routes (in onModuleInit), so the event log knows no provider: RCK's controller registers
 * `/internal/videos/success` and `/internal/videos/failure`; HeyGen's registers its own.
 */
@Injectable()
export class WebhookReplayRegistry {
  private readonly handlers = new Map<string, ReplayHandler>();

  register(endpoint: string, handler: ReplayHandler): void {
    if (this.handlers.has(endpoint)) throw new Error(`A replay handler for ${endpoint} is already registered`);
    this.handlers.set(endpoint, handler);
  }

  handlerFor(endpoint: string): ReplayHandler | undefined {
    return this.handlers.get(endpoint);
  }
}
