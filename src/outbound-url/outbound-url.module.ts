import { Module } from '@nestjs/common';
import { HostResolver, OutboundUrlGuard } from './outbound-url.js';

/**
 * The address rule for every URL we call on someone's behalf (customers' endpoints, Slack and
 * Discord webhooks): one HostResolver and guard for the whole app, so a test that says what a
 * name resolves to says it everywhere.
 */
@Module({ providers: [HostResolver, OutboundUrlGuard], exports: [HostResolver, OutboundUrlGuard] })
export class OutboundUrlModule {}
