import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import { isAxiosError } from 'axios';
import { firstValueFrom } from 'rxjs';
import { errorMessage } from '../common/error-message.js';
import { linksConfig, type LinksConfig } from '../config/links.config.js';
import { videosConfig, type VideosConfig } from './videos.config.js';

/** One product as RCK's create-images-batch takes it (field names are RCK's). */
export interface RckBatchItem {
  /** The product's own positive 32-bit number (`Product.rckId`), unique across products. */
  id_product: number;
  title: string;
  img_urls: string[];
  user_id: string;
  sku: string;
  template_name: string;
  videoId: string;
  aspect_ratio: string;
}

/** RCK refused, failed or did not answer in time; the message is safe to store and show. */
export class RckDispatchError extends Error {
  override readonly name = 'RckDispatchError';
}

/** The RCK Description server's HTTP API, through @nestjs/axios. */
@Injectable()
export class RckClient {
  constructor(
    private readonly http: HttpService,
    @Inject(videosConfig.KEY) private readonly config: VideosConfig,
    @Inject(linksConfig.KEY) private readonly linksConfig: LinksConfig,
  ) {}

  /** The callback URLs RCK calls, always built from SERVER_URL (never from a request's Host). */
  callbackUrls(): { success_callback_url: string; failure_callback_url: string } {
    return {
      success_callback_url: `${this.linksConfig.serverUrl}/internal/videos/success`,
      failure_callback_url: `${this.linksConfig.serverUrl}/internal/videos/failure`,
    };
  }

  /** Sends one batch; answers RCK's job ids in item order. */
  async createImagesBatch(items: RckBatchItem[]): Promise<string[]> {
    const url = `${this.config.rckDescriptionServerUrl}/api/v1/create-images-batch`;
    try {
      const response = await firstValueFrom(
        this.http.post<{ job_ids?: unknown }>(
          url,
          { items, ...this.callbackUrls() },
          { timeout: this.config.rckTimeoutMs, headers: { 'content-type': 'application/json' } },
        ),
      );
      const jobIds = response.data?.job_ids;
      if (!Array.isArray(jobIds)) throw new RckDispatchError('RCK answered without job_ids');
      return jobIds.map((id) => String(id));
    } catch (error) {
      throw toDispatchError(error);
    }
  }
}

function toDispatchError(error: unknown): RckDispatchError {
  if (error instanceof RckDispatchError) return error;
  if (isAxiosError(error)) {
    if (error.response) return new RckDispatchError(`RCK answered ${error.response.status}`);
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') return new RckDispatchError('RCK did not answer in time');
    return new RckDispatchError(`RCK unreachable (${error.code ?? 'network error'})`);
  }
  return new RckDispatchError(`RCK request failed: ${errorMessage(error)}`);
}
