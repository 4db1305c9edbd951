/**
 * How the dashboard writes durations and times: one place, so every view writes them alike. Every
 * time is in UTC and says so, whatever the browser's zone (the API, the charts' buckets and the
 * logs are in UTC too, so an operator comparing them compares like with like).
 */

/** The one time zone every time on the page is written in. */
export const TIME_ZONE = 'UTC';

/** A duration: `850 ms`, `12.3 s`, `4 min 05 s`, `30 min`, `3 h 20 min`, `2 h`, `2 d 4 h`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  const m = Math.floor(s / 60);
  if (m < 48 * 60) return m % 60 === 0 ? `${m / 60} h` : `${Math.floor(m / 60)} h ${pad(m % 60)} min`;
  const h = Math.floor(m / 60);
  return h % 24 === 0 ? `${h / 24} d` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function parse(value: string | Date | undefined | null): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const day = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const clock = (d: Date) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

/** A moment with its zone: `2025-01-17 10:35:42 UTC`. */
export function formatTime(value: string | Date | undefined | null): string {
  const d = parse(value);
  if (!d) return value ? String(value) : '—';
  return `${day(d)} ${clock(d)} ${TIME_ZONE}`;
}

/** The time of day only (where a heading names the zone): `10:35:42`. */
export function formatClock(value: string | Date | undefined | null): string {
  const d = parse(value);
  return d ? clock(d) : '—';
}

/** A chart bucket's start, as fine as its size: `10:35` (minutes), `01-17 10:00` (hours), `2025-01-17` (days). */
export function formatBucket(value: string | Date, bucketMinutes: number): string {
  const d = parse(value);
  if (!d) return String(value);
  if (bucketMinutes >= 1440) return day(d);
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return bucketMinutes >= 60 ? `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${hm}` : hm;
}

/** A bucket size in words: `5 minutes`, `hour`, `6 hours`, `day`, `week`. */
export function bucketName(minutes: number): string {
  if (minutes === 10080) return 'week';
  if (minutes === 1440) return 'day';
  if (minutes === 60) return 'hour';
  if (minutes % 60 === 0) return `${minutes / 60} hours`;
  return minutes === 1 ? 'minute' : `${minutes} minutes`;
}

/** An ISO time as a datetime-local input shows it, in UTC, and back. */
export function toUtcInput(iso: string | undefined): string {
  const d = parse(iso);
  return d ? d.toISOString().slice(0, 16) : '';
}
export function fromUtcInput(value: string): string | undefined {
  const d = value ? parse(`${value}:00Z`) : undefined;
  return d?.toISOString();
}
