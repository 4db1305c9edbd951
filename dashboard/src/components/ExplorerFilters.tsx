import { type FormEvent, useEffect, useState } from 'react';
import type { WorkspaceResponseDto } from '../../../openapi/client/index.js';
import type { EventFilters } from '../hooks/useEvents.js';
import { fromUtcInput, TIME_ZONE, toUtcInput } from '../format.js';

const STATUSES = ['accepted', 'duplicate', 'conflict', 'ignored', 'rejected', 'failed', 'held', 'released'];

/** The explorer's filters: edited here, applied (into the query string) on submit. */
export function ExplorerFilters({ filters, workspaces, onApply }: { filters: EventFilters; workspaces: WorkspaceResponseDto[]; onApply: (filters: EventFilters) => void }) {
  const [draft, setDraft] = useState<EventFilters>(filters);
  // A link followed, or back / forward: the form shows what the page shows.
  useEffect(() => setDraft(filters), [filters]);
  const set = (key: keyof EventFilters) => (value: string) => setDraft((current) => ({ ...current, [key]: value.trim() || undefined }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };

  return (
    <form className="filters" onSubmit={submit} data-testid="filters">
      <label>
        Status
        <select name="status" value={draft.status ?? ''} onChange={(e) => set('status')(e.target.value)}>
          <option value="">any</option>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </label>
      <label>
        Source
        <select name="source" value={draft.source ?? ''} onChange={(e) => set('source')(e.target.value)}>
          <option value="">any</option>
          <option value="rck">RCK</option>
          <option value="heygen">HeyGen</option>
        </select>
      </label>
      <label>
        Event type
        <input name="eventType" value={draft.eventType ?? ''} onChange={(e) => set('eventType')(e.target.value)} placeholder="success, avatar_video.fail…" />
      </label>
      <label>
        HTTP code
        <input name="httpStatus" type="number" min={100} max={599} value={draft.httpStatus ?? ''} onChange={(e) => set('httpStatus')(e.target.value)} placeholder="e.g. 404" />
      </label>
      <label>
        Video id
        <input name="videoId" value={draft.videoId ?? ''} onChange={(e) => set('videoId')(e.target.value)} placeholder="ours, RCK's or HeyGen's" />
      </label>
      <label>
        Reel id
        <input name="reelId" value={draft.reelId ?? ''} onChange={(e) => set('reelId')(e.target.value)} />
      </label>
      <label>
        Workspace
        <select name="workspaceId" value={draft.workspaceId ?? ''} onChange={(e) => set('workspaceId')(e.target.value)}>
          <option value="">any</option>
          {workspaces.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
          {draft.workspaceId && !workspaces.some((w) => w.id === draft.workspaceId) && <option value={draft.workspaceId}>{draft.workspaceId}</option>}
        </select>
      </label>
      <label>
        From ({TIME_ZONE})
        <input name="from" type="datetime-local" value={toUtcInput(draft.from)} onChange={(e) => set('from')(fromUtcInput(e.target.value) ?? '')} />
      </label>
      <label>
        To ({TIME_ZONE})
        <input name="to" type="datetime-local" value={toUtcInput(draft.to)} onChange={(e) => set('to')(fromUtcInput(e.target.value) ?? '')} />
      </label>
      <div className="filter-actions">
        <button type="submit" className="primary" data-testid="apply-filters">
          Apply
        </button>
        <button type="button" onClick={() => onApply({})} data-testid="clear-filters">
          Clear
        </button>
      </div>
    </form>
  );
}
