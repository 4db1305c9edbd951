import type { MeResponseDto } from '../../../openapi/client/index.js';
import { RouterContext, useLocationRouter } from '../hooks/useRoute.js';
import { viewOf } from '../route.js';
import { Overview } from './Overview.js';

/** The signed-in superadmin's page: the header and the view the query string names. */
export function Console({ me, onSignOut }: { me: MeResponseDto; onSignOut: () => void }) {
  const router = useLocationRouter();
  const view = viewOf(router.params);
  return (
    <RouterContext.Provider value={router}>
      <header>
        <h1>videogen monitoring</h1>
        <span>{me.email}</span>
        <button onClick={onSignOut}>Sign out</button>
      </header>
      {view === 'overview' && <Overview />}
    </RouterContext.Provider>
  );
}
