import { Console } from './components/Console.js';
import { Login } from './components/Login.js';
import { Refused } from './components/Refused.js';
import { useSession } from './hooks/useSession.js';

/** Signed out: the login; signed in: the console for a superadmin, a refusal for anyone else. */
export function App() {
  const { me, checking, notice, signIn, signOut } = useSession();
  if (checking) return <p className="muted">Loading…</p>;
  if (!me) return <Login signIn={signIn} notice={notice} />;
  if (me.role !== 'superadmin') return <Refused me={me} onSignOut={signOut} />;
  return <Console me={me} onSignOut={signOut} />;
}
