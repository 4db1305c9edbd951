import { Inject, Injectable } from '@nestjs/common';
import { heygenConfig, type HeygenConfig } from './heygen.config.js';
import { HeygenApi } from './heygen.client.js';

/** HeygenApi configured from HEYGEN_API_URL, HEYGEN_API_KEY and HEYGEN_REQUEST_TIMEOUT_MS, as a provider. */
@Injectable()
export class HeygenClient extends HeygenApi {
  constructor(@Inject(heygenConfig.KEY) config: HeygenConfig) {
    super({ baseUrl: config.apiUrl, apiKey: config.apiKey, timeoutMs: config.timeoutMs });
  }
}
