import { type FormEvent, useState } from 'react';

/** The sign-in form: the API's login; `notice` says why it is shown again (a session that ended). */
export function Login({ signIn, notice }: { signIn: (email: string, password: string) => Promise<string | undefined>; notice?: string }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const failure = await signIn(email, password);
    setBusy(false);
    setError(failure);
  };

  return (
    <form className="login" onSubmit={submit}>
      <h2>videogen monitoring</h2>
      {notice && (
        <p className="notice" role="status" data-testid="session-ended">
          {notice}
        </p>
      )}
      <label>
        E-mail
        <input name="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
      </label>
      <button type="submit" disabled={busy}>
        Sign in
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
