import { timelineHref } from '../route.js';
import { Link } from './Link.js';

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** A video's or reel's id, linking to its timeline (an id that is not ours, such as HeyGen's, is shown as text). */
export function RecordLink({ kind, id }: { kind: 'video' | 'reel'; id: string | undefined }) {
  if (!id) return <>—</>;
  if (!OBJECT_ID.test(id)) return <span className="mono">{id}</span>;
  return (
    <Link to={timelineHref(kind, id)} className="mono" testId={`${kind}-link`} title={`The ${kind}'s timeline`}>
      {kind === 'reel' ? `reel ${id}` : id}
    </Link>
  );
}

/** The video or reel a delivery is about, as the event log and the stream name it. */
export function DeliverySubject({ source, videoId, recordId, callbackId }: { source: string; videoId?: string; recordId?: string; callbackId?: string }) {
  if (source === 'heygen') {
    const reelId = recordId ?? (callbackId && OBJECT_ID.test(callbackId) ? callbackId : undefined);
    return reelId ? <RecordLink kind="reel" id={reelId} /> : <RecordLink kind="video" id={videoId} />;
  }
  return <RecordLink kind="video" id={recordId ?? videoId} />;
}
