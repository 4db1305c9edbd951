/**
 * The page's state lives in its query string, so any view can be linked to and shared:
 * `?view=events&status=failed&source=rck&page=2` (the event explorer and its filters),
 * `?view=timeline&video=<id>` or `&reel=<id>` (a timeline), and `event=<id>` beside either (or the
 * overview) for one event's detail.
 */
export type View = 'overview' | 'events' | 'timeline';

export function viewOf(params: URLSearchParams): View {
  const view = params.get('view');
  return view === 'events' || view === 'timeline' ? view : 'overview';
}

/** A query string from values, leaving out the empty ones. */
export function search(values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '?';
}

/** The current query string with some values changed (undefined removes one). */
export function withParams(current: URLSearchParams, changes: Record<string, string | undefined>): string {
  const next = new URLSearchParams(current);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === '') next.delete(key);
    else next.set(key, value);
  }
  const text = next.toString();
  return text ? `?${text}` : '?';
}

export const timelineHref = (kind: 'video' | 'reel', id: string) => search({ view: 'timeline', [kind]: id });
