import { Transform } from 'class-transformer';

/** Environment values are strings; numeric settings are converted before validation. */
export const AsNumber = () => Transform(({ value }) => (value === undefined ? value : Number(value)));

/** A comma-separated origin list as browsers send origins: trimmed, no trailing slash, lower case. */
export function parseOrigins(list: string): string[] {
  return list
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, '').toLowerCase())
    .filter(Boolean);
}

/** A list of secrets as configured for rotation: separated by spaces or commas. */
export function splitSecrets(list: string): string[] {
  return list.split(/[\s,]+/).filter(Boolean);
}

/** Fastify's `trustProxy` from TRUST_PROXY; undefined when the value makes no sense. */
export function parseTrustProxy(value: string): boolean | number | string[] | undefined {
  const text = value.trim().toLowerCase();
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^\d+$/.test(text)) return Number(text);
  const list = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  return list.length > 0 && list.every((entry) => /^[0-9a-f.:]+(\/\d{1,3})?$/.test(entry)) ? list : undefined;
}

