import type { MonitoringSummaryDto } from '../../../openapi/client/index.js';
import { duration } from '../format.js';
import { RecordLink } from './RecordLink.js';

/** The videos generating longest since RCK took them. */
export function StuckTable({ summary }: { summary?: MonitoringSummaryDto }) {
  return (
    <section>
      <h2>Stuck longest in generating</h2>
      <table data-testid="stuck">
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
              <td>
                <RecordLink kind="video" id={v.videoId} />
              </td>
              <td>{v.template}</td>
              <td>{new Date(v.dispatchedAt).toLocaleString()}</td>
              <td>{duration(v.generatingForMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {summary && summary.stuckGenerating.length === 0 && <p className="muted">No video is generating.</p>}
    </section>
  );
}
