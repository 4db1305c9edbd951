import type { MonitoringSummaryDto } from '../../../openapi/client/index.js';
import { duration, formatTime } from '../format.js';
import { RecordLink } from './RecordLink.js';

/** The videos generating longer than the summary's threshold since RCK took them, longest first. */
export function StuckTable({ summary }: { summary?: MonitoringSummaryDto }) {
  const threshold = summary ? duration(summary.stuckAfterMs) : '…';
  return (
    <section>
      <h2>
        Stuck in generating: longer than <span data-testid="stuck-threshold">{threshold}</span>
      </h2>
      <p className="muted">Videos RCK took more than {threshold} ago and has not finished, longest first (whenever they were created).</p>
      <table data-testid="stuck" className="cards">
        <thead>
          <tr>
            <th>Video</th>
            <th>Template</th>
            <th>Sent to RCK</th>
            <th>For</th>
          </tr>
        </thead>
        <tbody>
          {summary?.stuckGenerating.map((v) => (
            <tr key={v.videoId}>
              <td data-label="Video">
                <RecordLink kind="video" id={v.videoId} />
              </td>
              <td data-label="Template">{v.template}</td>
              <td data-label="Sent to RCK">{formatTime(v.dispatchedAt)}</td>
              <td data-label="For">{duration(v.generatingForMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {summary && summary.stuckGenerating.length === 0 && <p className="muted">No video has been generating longer than {threshold}.</p>}
    </section>
  );
}
