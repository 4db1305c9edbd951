import type { ReplayOutcome } from './hooks/useEvents.js';

/** What a replay did, in words an operator reads at a glance (the event log's status and our answer's message). */
export function describeReplay(outcome: ReplayOutcome): string {
  if (outcome.error || !outcome.event) return `The replay could not run: ${outcome.error ?? 'no answer'}.`;
  const { event } = outcome;
  const message = typeof outcome.response === 'object' && outcome.response !== null ? (outcome.response as { message?: unknown }).message : undefined;
  const said = typeof message === 'string' ? ` The handler said: "${message}".` : '';
  switch (event.status) {
    case 'accepted':
      return `Applied: the delivery was handled again and its change was made (HTTP ${event.httpStatus}).${said}`;
    case 'duplicate':
      return `Nothing changed: this delivery had been handled before, so it was answered as it was then.${said}`;
    case 'conflict':
      return 'Nothing changed: its delivery id was first used by another delivery, so it was answered as that one and not applied.';
    case 'ignored':
      return `Nothing changed: the handler ignored it, as it would now ignore the same delivery.${said}`;
    case 'rejected':
      return `Refused again (HTTP ${event.httpStatus}): ${event.error ?? 'no reason given'}. Nothing changed.`;
    default:
      return `Failed again (HTTP ${event.httpStatus}): ${event.error ?? 'no reason given'}. Nothing changed; it can be replayed later.`;
  }
}
