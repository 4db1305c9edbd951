import { useMemo, useState } from 'react';
import { FILTER_KEYS, type EventFilters, type ReplayOutcome, useEventList } from '../hooks/useEvents.js';
import { useRouter } from '../hooks/useRoute.js';
import { useWorkspaces } from '../hooks/useWorkspaces.js';
import { TIME_ZONE } from '../format.js';
import { search } from '../route.js';
import { BulkReplay } from './BulkReplay.js';
import { EventTable } from './EventTable.js';
import { ExplorerFilters } from './ExplorerFilters.js';
import { Pager } from './Pager.js';
import { ReplayResult } from './ReplayControl.js';

const LIMIT = 25;

/**
 * The event explorer: the event log filtered and paged, every filter in the query string so a
 * link shows the same page to whoever opens it.
 */
export function Explorer() {
  const { params, navigate } = useRouter();
  // One object per query string, so the form is reset only when the filters really change.
  const filters = useMemo<EventFilters>(() => Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) ?? undefined]).filter(([, value]) => value)), [params]);
  const page = Math.max(1, Number(params.get('page')) || 1);
  const workspaces = useWorkspaces();
  const { data, error, loading, reload } = useEventList(filters, page, LIMIT);
  const [replayed, setReplayed] = useState<ReplayOutcome>();

  const go = (next: EventFilters, nextPage = 1) => navigate(search({ view: 'events', ...next, page: nextPage > 1 ? nextPage : undefined }));
  const onReplayed = (outcome: ReplayOutcome) => {
    setReplayed(outcome);
    reload();
  };

  return (
    <main className="single">
      <section className="wide" data-testid="explorer">
        <h2>Webhook deliveries</h2>
        <ExplorerFilters filters={filters} workspaces={workspaces} onApply={(next) => go(next)} />
        <p className="muted">Times in {TIME_ZONE}. Newest first.</p>
        {error && (
          <p className="error" role="alert" data-testid="explorer-error">
            {error}
          </p>
        )}
        {replayed && <ReplayResult outcome={replayed} />}
        <BulkReplay filters={filters} onQueued={reload} />
        {data && (
          <div data-testid="results" data-loading={String(loading)} data-total={data.pagination.total}>
            <EventTable events={data.events} onReplayed={onReplayed} />
            {data.events.length === 0 && <p className="muted">No delivery matches these filters.</p>}
            <Pager pagination={data.pagination} onPage={(next) => go(filters, next)} />
          </div>
        )}
      </section>
    </main>
  );
}
