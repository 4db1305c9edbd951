import { Body, Controller, HttpCode, Options, Post } from '@nestjs/common';
import { getModelToken } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { WebhookEventRecorder } from '../../src/inbound-webhook-events/webhook-event.recorder.js';
import { WebhookEventRecord, WebhookEventRepository } from '../../src/inbound-webhook-events/webhook-event.repository.js';
import { WebhookEvent } from '../../src/inbound-webhook-events/webhook-event.schema.js';
import { WebhookReceiver } from '../../src/inbound-webhook-contract/webhook-receiver.decorator.js';
import { handled } from '../../src/inbound-webhook-contract/webhook-handled.js';
import { eventually } from './eventually.js';
import { hooked } from './hookable.js';
import { TestApp } from './test-app.js';

/**
 * A webhook controller the recorder has never heard of, marked like HeyGen's will be: its
 * deliveries must be recorded by being marked, and its OPTIONS ping must touch nothing.
 */
@Controller('api/webhook/test-provider')
@WebhookReceiver('heygen')
export class TestProviderWebhookController {
  @Options()
  @HttpCode(200)
  ping() {
    return { success: true, data: { ok: true } };
  }

  @Post()
  @HttpCode(200)
  receive(@Body() body: Record<string, unknown>) {
    return handled({ outcome: 'accepted', response: { success: true, data: { received: body.event_type ?? null } } });
  }
}

export const eventModel = (t: TestApp) => t.app.get<Model<WebhookEvent>>(getModelToken(WebhookEvent.name));

export const newRequestId = () => `req-${randomUUID()}`;

/** The events recorded for one request (by its X-Request-Id), once the recorder has written them. */
export async function eventsOfRequest(t: TestApp, requestId: string, expected = 1) {
  return eventually(async () => {
    await t.app.get(WebhookEventRecorder).flush();
    const events = await eventModel(t).find({ requestId }).lean().exec();
    if (events.length < expected) throw new Error(`${events.length} event(s) for ${requestId}, expected ${expected}`);
    return events;
  });
}

/**
 * The event store refusing writes, as a refused write (not primary) would: a fault injected in the
 * recorder's repository, so only the event log fails while the webhook's own writes go on. The
 * app must hold a hookable repository (`overrides: [hookable(WebhookEventRepository)]`).
 * `refusing` is read on every write; `attempts` counts the refused ones; `restore()` undoes it.
 */
export function refuseEventWrites(t: TestApp, refusing: () => boolean = () => true) {
  const repository = hooked(t.app.get(WebhookEventRepository));
  const fault = { attempts: 0, restore: () => void delete repository.hooks.insertEach };
  repository.hooks.insertEach = async (next, events: WebhookEventRecord[]) => {
    if (refusing()) {
      fault.attempts++;
      throw Object.assign(new Error('not primary (injected)'), { code: 10107 });
    }
    return next(events);
  };
  return fault;
}
