/**
 * Registers this service's webhook with HeyGen ("Configurar webhook en HeyGen Dashboard"), or
 * lists / deletes registered endpoints:
 *
 *   npm run heygen:register -- --url https://your-domain.com/api/webhook/heygen
 *   npm run heygen:register -- --list
 *   npm run heygen:register -- --delete <endpoint_id>
 *
 * Reads HEYGEN_API_KEY and HEYGEN_API_URL from the environment (or .env). On registration HeyGen
 * checks the URL with an OPTIONS request (1 s timeout), so the service must already be reachable.
 */
import { config as loadDotEnv } from 'dotenv';
import { pathToFileURL } from 'node:url';
import { HeygenApi, HeygenApiError } from '../src/reels/heygen.client.js';

export const REGISTERED_EVENTS = ['avatar_video.success', 'avatar_video.fail'];

const USAGE = 'usage: npm run heygen:register -- --url <https://…/api/webhook/heygen> | --list | --delete <endpoint_id>';

interface Output {
  log(line: string): void;
  error(line: string): void;
}

/** Runs the command; answers the exit code. */
export async function runRegister(argv: string[], env: Record<string, string | undefined>, out: Output = console): Promise<number> {
  const apiKey = env.HEYGEN_API_KEY;
  if (!apiKey) {
    out.error('HEYGEN_API_KEY is not set (HeyGen dashboard → Settings → API)');
    return 1;
  }
  const api = new HeygenApi({ baseUrl: (env.HEYGEN_API_URL || 'https://api.heygen.com').replace(/\/+$/, ''), apiKey, timeoutMs: 30_000 });
  const [command, value] = argv;
  try {
    if (command === '--url' && value) {
      if (!/^https?:\/\/\S+$/.test(value)) {
        out.error(`--url must be an http(s) URL, e.g. https://your-domain.com/api/webhook/heygen`);
        return 1;
      }
      const endpoint = await api.addWebhookEndpoint(value, REGISTERED_EVENTS);
      out.log(`Registered ${endpoint.url} for ${REGISTERED_EVENTS.join(', ')}`);
      out.log(`endpoint_id: ${endpoint.endpoint_id}`);
      if (endpoint.secret) {
        out.log(`secret:      ${endpoint.secret}`);
        out.log(`Set HEYGEN_WEBHOOK_SECRET=${endpoint.secret} in the service's environment and restart it.`);
      } else {
        out.log('HeyGen sent no secret: copy it from the dashboard (Settings → API → Webhooks) into HEYGEN_WEBHOOK_SECRET.');
      }
      return 0;
    }
    if (command === '--list' && !value) {
      const endpoints = await api.listWebhookEndpoints();
      if (endpoints.length === 0) out.log('No webhook endpoints registered.');
      for (const endpoint of endpoints) {
        out.log(`${endpoint.endpoint_id}  ${endpoint.status ?? ''}  ${endpoint.url}  ${(endpoint.events ?? ['all events']).join(',')}`);
      }
      return 0;
    }
    if (command === '--delete' && value) {
      await api.deleteWebhookEndpoint(value);
      out.log(`Deleted webhook endpoint ${value}`);
      return 0;
    }
  } catch (error) {
    out.error(error instanceof HeygenApiError ? error.message : String(error));
    return 1;
  }
  out.error(USAGE);
  return 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  loadDotEnv({ quiet: true });
  runRegister(process.argv.slice(2), process.env).then((code) => process.exit(code));
}
