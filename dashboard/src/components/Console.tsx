import type { MeResponseDto } from '../../../openapi/client/index.js';
import { RouterContext, useLocationRouter } from '../hooks/useRoute.js';
import { search, viewOf } from '../route.js';
import { EventDetail } from './EventDetail.js';
import { Explorer } from './Explorer.js';
import { Link } from './Link.js';
import { Overview } from './Overview.js';
import { Timeline } from './Timeline.js';

/**
 * The signed-in superadmin's page: the header, the view the query string names (the overview, the
 * event explorer, a timeline) and, over it, the detail of the event it names.
 */
export function Console({ me, onSignOut }: { me: MeResponseDto; onSignOut: () => void }) {
  const router = useLocationRouter();
  const { params } = router;
  const view = viewOf(params);
  const eventId = params.get('event');
  const video = params.get('video');
  const reel = params.get('reel');
  return (
    <RouterContext.Provider value={router}>
      <header>
        <h1>videogen monitoring</h1>
        <nav>
          <Link to="?" className={view === 'overview' ? 'current' : undefined} testId="nav-overview">
            Overview
          </Link>
          <Link to={search({ view: 'events' })} className={view === 'events' ? 'current' : undefined} testId="nav-events">
            Deliveries
          </Link>
        </nav>
        <span>{me.email}</span>
        <button onClick={onSignOut}>Sign out</button>
      </header>
      {view === 'overview' && <Overview />}
      {view === 'events' && <Explorer />}
      {view === 'timeline' && (video ? <Timeline kind="video" id={video} /> : reel ? <Timeline kind="reel" id={reel} /> : <p className="error">A timeline needs a video or a reel.</p>)}
      {eventId && <EventDetail key={eventId} id={eventId} />}
    </RouterContext.Provider>
  );
}
