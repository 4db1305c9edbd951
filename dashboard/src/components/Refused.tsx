import type { MeResponseDto } from '../../../openapi/client/index.js';

/** What anyone but a superadmin sees once signed in (the API refuses their token too). */
export function Refused({ me, onSignOut }: { me: MeResponseDto; onSignOut: () => void }) {
  return (
    <div className="refused" role="alert" data-testid="refused">
      <h2>Access refused</h2>
      <p>
        The monitoring dashboard is for superadmins. You are signed in as <strong>{me.email}</strong> ({me.role}).
      </p>
      <button onClick={onSignOut}>Sign out</button>
    </div>
  );
}
