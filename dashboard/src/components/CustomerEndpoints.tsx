import { useState } from 'react';
import type { EndpointOverviewItemDto, WebhookAttemptResponseDto } from '../../../openapi/client/index.js';
import { duration, formatTime, TIME_ZONE } from '../format.js';
import { ENDPOINTS_PAGE, recoverEndpoint, redeliverMessage, useCustomerEndpoints } from '../hooks/useCustomerEndpoints.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { PanelError } from './StaleNotice.js';

/** What an action asks before it runs, and runs once confirmed. */
type Pending = { title: string; text: string; confirmLabel: string; run: () => Promise<{ ok: boolean; text: string }> };

/** How far back a recovery looks: the retry schedule (about three days) and a margin. */
const RECOVER_LOOKBACK_MS = 4 * 24 * 3600_000;

/**
 * "See the customers' side": every workspace's webhook endpoints, failing ones first, with how long
 * each has failed, its latest attempts and their HTTP codes, the next retry, and the redeliver and
 * recover actions (each confirmed first, then said in words).
 */
export function CustomerEndpoints() {
  const [page, setPage] = useState(1);
  const { data, error, reload, staleSince } = useCustomerEndpoints(page);
  const [pending, setPending] = useState<Pending>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string }>();

  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    const outcome = await pending.run();
    setBusy(false);
    setPending(undefined);
    setResult(outcome);
    reload();
    // The queued attempt takes a moment: look again shortly so it shows without waiting for the next refresh.
    window.setTimeout(reload, 2000);
  };

  const askRedeliver = (endpoint: EndpointOverviewItemDto, attempt: WebhookAttemptResponseDto) =>
    setPending({
      title: 'Redeliver this message?',
      text: `Message ${attempt.messageId} (${attempt.eventType}) will be sent to ${endpoint.url} once more, now, with the same webhook-id, so a receiver that has it already can ignore it. Its scheduled retries go on as before unless it succeeds.`,
      confirmLabel: 'Redeliver',
      run: () => redeliverMessage(endpoint, attempt.messageId),
    });
  const askRecover = (endpoint: EndpointOverviewItemDto) => {
    // A message is retried for up to about three days, so those that failed for good while the
    // endpoint was failing may have been created up to that long before it started.
    const from = endpoint.failingSince ? Date.parse(endpoint.failingSince) : Date.now();
    const since = new Date(from - RECOVER_LOOKBACK_MS).toISOString();
    setPending({
      title: 'Send the failed messages again?',
      text: `Every message to ${endpoint.url} that failed for good (its retries spent), of those created since ${formatTime(since)} (4 days before ${endpoint.failingSince ? 'it started failing' : 'now'}: a message is retried for up to about 3 days), will be sent once more, oldest first, up to 1000, each with its own webhook-id.`,
      confirmLabel: 'Send them again',
      run: () => recoverEndpoint(endpoint, since),
    });
  };

  const endpoints = data?.endpoints ?? [];
  return (
    <section className="wide" data-testid="customer-endpoints">
      <h2>Customer endpoints (all workspaces)</h2>
      <p className="muted">Failing ones first, longest failing first. Times in {TIME_ZONE}.</p>
      {error && <PanelError error={error} staleSince={staleSince} />}
      {result && (
        <p className={`action-result ${result.ok ? 'good' : 'bad'}`} role="status" data-testid="endpoint-action-result">
          {result.text}
        </p>
      )}
      {data && endpoints.length === 0 && <p className="muted">No customer has registered a webhook endpoint.</p>}
      <div className="endpoint-list">
        {endpoints.map((endpoint) => (
          <EndpointCard key={endpoint.id} endpoint={endpoint} onRedeliver={askRedeliver} onRecover={askRecover} />
        ))}
      </div>
      {data && data.pagination.totalPages > 1 && (
        <div className="pager">
          <button onClick={() => setPage(page - 1)} disabled={page <= 1}>
            ← Previous
          </button>
          <span>
            Page {page} of {data.pagination.totalPages} ({data.pagination.total} endpoints, {ENDPOINTS_PAGE} a page)
          </span>
          <button onClick={() => setPage(page + 1)} disabled={page >= data.pagination.totalPages}>
            Next →
          </button>
        </div>
      )}
      {pending && (
        <ConfirmDialog title={pending.title} confirmLabel={pending.confirmLabel} busy={busy} onConfirm={() => void confirm()} onCancel={() => setPending(undefined)}>
          <p data-testid="endpoint-confirm-text">{pending.text}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function EndpointCard({ endpoint, onRedeliver, onRecover }: {
  endpoint: EndpointOverviewItemDto;
  onRedeliver: (endpoint: EndpointOverviewItemDto, attempt: WebhookAttemptResponseDto) => void;
  onRecover: (endpoint: EndpointOverviewItemDto) => void;
}) {
  const state = !endpoint.enabled ? 'disabled' : endpoint.failingSince ? 'failing' : 'healthy';
  // A message delivered since (by a retry or by hand) needs no redelivery.
  const delivered = new Set(endpoint.recentAttempts.filter((a) => a.status === 'succeeded').map((a) => a.messageId));
  const undelivered = endpoint.recentAttempts.some((a) => a.status === 'failed' && !delivered.has(a.messageId));
  return (
    <article className={`endpoint endpoint-${state}`} data-testid="endpoint" data-endpoint-id={endpoint.id} data-state={state}>
      <div className="endpoint-head">
        <span className={`badge state-${state}`}>{state}</span>
        <span className="mono endpoint-url">{endpoint.url}</span>
      </div>
      <dl className="fields">
        <div className="field">
          <dt>Workspace</dt>
          <dd className="mono">{endpoint.workspaceId}</dd>
        </div>
        {endpoint.failingSince && (
          <div className="field">
            <dt>Failing since</dt>
            <dd data-testid="failing-since">
              {formatTime(endpoint.failingSince)} ({duration(Date.now() - Date.parse(endpoint.failingSince))} ago)
            </dd>
          </div>
        )}
        {!endpoint.enabled && (
          <div className="field">
            <dt>Disabled</dt>
            <dd>
              {formatTime(endpoint.disabledAt)}: {endpoint.disabledReason ?? 'no reason recorded'}
            </dd>
          </div>
        )}
        <div className="field">
          <dt>Next retry</dt>
          <dd data-testid="next-retry">
            {endpoint.nextAttemptAt
              ? `${formatTime(endpoint.nextAttemptAt)} (${endpoint.pendingMessages} ${endpoint.pendingMessages === 1 ? 'message waits' : 'messages wait'})`
              : 'none: no message waits'}
          </dd>
        </div>
      </dl>
      <h4>Latest attempts</h4>
      {endpoint.recentAttempts.length === 0 ? (
        <p className="muted">No attempt yet.</p>
      ) : (
        <table className="cards attempts" data-testid="endpoint-attempts">
          <thead>
            <tr>
              <th>When</th>
              <th>Message</th>
              <th>Answer</th>
              <th>Took</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {endpoint.recentAttempts.map((attempt) => (
              <tr key={attempt.id} data-testid="endpoint-attempt" data-status={attempt.status} data-code={attempt.responseStatus ?? ''} data-trigger={attempt.trigger}>
                <td data-label="When">{formatTime(attempt.attemptedAt)}</td>
                <td data-label="Message">
                  {attempt.eventType} <span className="muted">{attempt.trigger === 'manual' ? '(by hand)' : `(attempt ${attempt.attempt})`}</span>
                </td>
                <td data-label="Answer" className={attempt.status === 'succeeded' ? 'outcome-accepted' : 'outcome-failed'}>
                  {attempt.responseStatus ? `HTTP ${attempt.responseStatus}` : 'no answer'}
                  {attempt.status === 'failed' && attempt.error ? `: ${attempt.error}` : ''}
                </td>
                <td data-label="Took">{duration(attempt.latencyMs)}</td>
                <td data-label="" className="row-actions">
                  {attempt.status === 'failed' && endpoint.enabled && !delivered.has(attempt.messageId) && (
                    <button className="replay" onClick={() => onRedeliver(endpoint, attempt)} data-testid="redeliver">
                      Redeliver…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {endpoint.enabled && (endpoint.failingSince || undelivered) && (
        <button onClick={() => onRecover(endpoint)} data-testid="recover">
          Send the failed messages again…
        </button>
      )}
      {!endpoint.enabled && <p className="muted">Disabled: its workspace's producers enable it again (PATCH enabled: true) before anything can be sent.</p>}
    </article>
  );
}
