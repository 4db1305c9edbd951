import { Injectable } from '@nestjs/common';

/**
 * Whether the process is shutting down. main.ts marks it on SIGTERM/SIGINT, before it stops
 * accepting requests, so /health/ready fails first and a load balancer stops sending traffic
 * while in-flight requests finish.
 */
@Injectable()
export class ShutdownState {
  private since?: Date;

  begin(now = new Date()): void {
    this.since ??= now;
  }

  get shuttingDownSince(): Date | undefined {
    return this.since;
  }
}
