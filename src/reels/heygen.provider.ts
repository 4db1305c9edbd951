import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { HeygenApi } from './heygen.client.js';

/** HeygenApi configured from HEYGEN_API_URL, HEYGEN_API_KEY and HEYGEN_REQUEST_TIMEOUT_MS, as a provider. */
@Injectable()
export class HeygenClient extends HeygenApi {
  constructor(config: AppConfig) {
    super({ baseUrl: config.heygen.apiUrl, apiKey: config.heygen.apiKey, timeoutMs: config.heygen.timeoutMs });
  }
}
