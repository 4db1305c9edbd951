/** How the dashboard writes durations and times (one place, so every view writes them alike). */

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = s / 60;
  return m < 120 ? `${m.toFixed(1)} min` : `${(m / 60).toFixed(1)} h`;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A moment in the browser's time zone, to the millisecond: `2025-01-17 10:35:42.123`. */
export function formatTime(value: string | Date | undefined): string {
  if (value === undefined) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** The browser's time zone, as the pages name it. */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
