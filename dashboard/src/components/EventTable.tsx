import type { WebhookEventDetailDto } from '../../../openapi/client/index.js';
import type { ReplayOutcome } from '../hooks/useEvents.js';
import { formatTime } from '../format.js';
import { DeliveryTable } from './DeliveryTable.js';
import { ReplayControl } from './ReplayControl.js';

/** A page of the event log: each row links to its detail, its video or reel to the timeline; replay where it could change something. */
export function EventTable({ events, onReplayed }: { events: WebhookEventDetailDto[]; onReplayed: (outcome: ReplayOutcome) => void }) {
  return (
    <DeliveryTable
      rows={events}
      testId="events"
      rowTestId="event-row"
      time={{ heading: 'Received', cellLabel: 'Received', format: formatTime, cell: { className: 'nowrap' } }}
      rowData={(event) => ({ 'data-status': event.status, 'data-replayable': String(event.replayable) })}
      actions={(event) => (
        <>
          {' '}
          <ReplayControl eventId={event._id} replayable={event.replayable} onReplayed={onReplayed} showOutcome={false} compact />
        </>
      )}
      actionsClassName="nowrap row-actions"
    />
  );
}
