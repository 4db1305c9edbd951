import { formatTime } from '../format.js';
import { useIncidents } from '../hooks/useIncidents.js';
import { PanelError } from './StaleNotice.js';

/** Alert incidents (rules at /api/alerts/rules): the open ones first, then the latest resolved. */
export function Incidents() {
  const { data, error, staleSince } = useIncidents();
  const incidents = data?.incidents ?? [];
  return (
    <section className="wide" data-testid="incidents">
      <h2>Alerts</h2>
      {error && <PanelError error={error} staleSince={staleSince} />}
      {data && incidents.length === 0 && <p className="muted">No incident: every alert rule is within its threshold.</p>}
      {incidents.length > 0 && (
        <table className="cards">
          <thead>
            <tr>
              <th>Rule</th>
              <th>State</th>
              <th>Opened</th>
              <th>Resolved</th>
              <th>Measure (threshold)</th>
            </tr>
          </thead>
          <tbody>
            {incidents.map((incident) => (
              <tr key={incident.id} className={incident.status === 'open' ? 'incident-open' : undefined} data-testid={`incident-${incident.status}`}>
                <td data-label="Rule">{incident.ruleName}</td>
                <td data-label="State">{incident.status}</td>
                <td data-label="Opened">{formatTime(incident.openedAt)}</td>
                <td data-label="Resolved">{formatTime(incident.resolvedAt)}</td>
                <td data-label="Measure (threshold)">
                  {incident.status === 'open' ? incident.lastValue : incident.resolvedValue} ({incident.threshold})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
