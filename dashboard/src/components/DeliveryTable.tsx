import type { ReactNode } from 'react';
import { duration, TIME_ZONE } from '../format.js';
import { useRouter } from '../hooks/useRoute.js';
import { withParams } from '../route.js';
import { Link } from './Link.js';
import { DeliverySubject } from './RecordLink.js';

/** What a row of deliveries shows: the live feed's items and the event log's events both have it. */
export interface DeliveryRow {
  id: string;
  createdAt: string;
  source: string;
  eventType?: string;
  videoId?: string;
  recordId?: string;
  callbackId?: string;
  status: string;
  httpStatus: number;
  durationMs: number;
  error?: string;
}

/**
 * Deliveries as a table (on a phone, cards: styles.css, `table.cards`, each cell says what it is
 * from its `data-label`). Each row links to its event's detail and its video or reel to the
 * timeline; `time` says how the arrival is shown, `rowData` adds the row's test attributes, and
 * `actions` what follows the details link.
 */
export function DeliveryTable<T extends DeliveryRow>(props: {
  rows: T[];
  testId: string;
  rowTestId: string;
  time: { heading: string; cellLabel: string; format: (iso: string) => string; cell?: { testId?: string; className?: string; title?: boolean } };
  rowData: (row: T) => Record<`data-${string}`, string>;
  actions?: (row: T) => ReactNode;
  actionsClassName: string;
}) {
  const { params } = useRouter();
  const { rows, time } = props;
  return (
    <table data-testid={props.testId} className="cards">
      <thead>
        <tr>
          <th>
            {time.heading} ({TIME_ZONE})
          </th>
          <th>Source</th>
          <th>Event</th>
          <th>Video / reel</th>
          <th>Outcome</th>
          <th>Took</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.id} data-testid={props.rowTestId} data-event-id={row.id} {...props.rowData(row)}>
            <td data-label={time.cellLabel} data-testid={time.cell?.testId} className={time.cell?.className} title={time.cell?.title ? row.createdAt : undefined}>
              {time.format(row.createdAt)}
            </td>
            <td data-label="Source">{row.source}</td>
            <td data-label="Event">{row.eventType ?? '—'}</td>
            <td data-label="Video / reel">
              <DeliverySubject source={row.source} videoId={row.videoId} recordId={row.recordId} callbackId={row.callbackId} />
            </td>
            <td data-label="Outcome" className={`outcome-${row.status}`} title={row.error}>
              {row.status} ({row.httpStatus})
            </td>
            <td data-label="Took">{duration(row.durationMs)}</td>
            <td data-label="" className={props.actionsClassName}>
              <Link to={withParams(params, { event: row.id })} testId="details">
                details
              </Link>
              {props.actions?.(row)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
