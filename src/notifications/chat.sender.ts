import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { outboundConfig, type OutboundConfig } from '../outbound-url/outbound.config.js';
import { describeOutboundFailure, OutboundUrlGuard, OutboundUrlRefused } from '../outbound-url/outbound-url.js';

/** Why a chat message was not delivered; never carries the URL (a secret). */
export class ChatSendError extends Error {
  override readonly name = 'ChatSendError';
}

/**
 * POSTs a message to a Slack or Discord incoming webhook: OUTBOUND_TIMEOUT_MS for the whole
 * exchange, no redirects, and the address rule of customers' endpoints checked before the request
 * and in the connection's own DNS lookup.
 */
@Injectable()
export class ChatSender {
  constructor(
    private readonly http: HttpService,
    private readonly urls: OutboundUrlGuard,
    @Inject(outboundConfig.KEY) private readonly outboundConfig: OutboundConfig,
  ) {}

  async post(url: string, body: object): Promise<void> {
    try {
      await this.urls.check(url);
    } catch (error) {
      if (error instanceof OutboundUrlRefused) throw new ChatSendError(error.message);
      throw error;
    }
    const timeoutMs = this.outboundConfig.timeoutMs;
    let status: number;
    try {
      const response = await firstValueFrom(
        this.http.post(url, body, {
          headers: { 'content-type': 'application/json', 'user-agent': 'videogen-webhooks' },
          timeout: timeoutMs,
          signal: AbortSignal.timeout(timeoutMs),
          validateStatus: () => true,
          maxRedirects: 0,
          proxy: false,
          ...(this.urls.enforced && { lookup: this.urls.lookup }),
        }),
      );
      status = response.status;
    } catch (error) {
      throw new ChatSendError(describeOutboundFailure(error, timeoutMs));
    }
    if (status < 200 || status >= 300) throw new ChatSendError(`The webhook answered ${status}`);
  }
}
