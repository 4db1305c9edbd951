import type { MonitoringSummaryDto } from '../../../openapi/client/index.js';

/** The most frequent failure reasons of the range. */
export function FailureReasons({ summary }: { summary?: MonitoringSummaryDto }) {
  return (
    <section>
      <h2>Most frequent failure reasons</h2>
      <table data-testid="failures" className="cards">
        <thead>
          <tr>
            <th>Kind</th>
            <th>Reason</th>
            <th>Count</th>
          </tr>
        </thead>
        <tbody>
          {summary?.failureReasons.map((f) => (
            <tr key={`${f.kind}:${f.reason}`}>
              <td data-label="Kind">{f.kind}</td>
              <td data-label="Reason">{f.reason}</td>
              <td data-label="Count">{f.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {summary && summary.failureReasons.length === 0 && <p className="muted">No failures in the range.</p>}
    </section>
  );
}
