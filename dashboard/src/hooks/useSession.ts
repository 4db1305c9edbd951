import { useCallback, useEffect, useState } from 'react';
import { authLogin, authMe, type MeResponseDto } from '../../../openapi/client/index.js';
import { api, errorMessage, session, SESSION_ENDED } from '../api.js';

/** Who is signed in in this tab (the token in sessionStorage), signing in and out. */
export function useSession() {
  const [me, setMe] = useState<MeResponseDto | null>(null);
  const [checking, setChecking] = useState(!!session.token);
  const [notice, setNotice] = useState<string>();

  useEffect(() => {
    const ended = () => {
      setMe(null);
      setNotice('Your session has ended; sign in again.');
    };
    window.addEventListener(SESSION_ENDED, ended);
    return () => window.removeEventListener(SESSION_ENDED, ended);
  }, []);

  useEffect(() => {
    if (!session.token) return;
    void authMe({ client: api }).then(({ data }) => {
      if (data) setMe(data.data);
      else session.token = null;
      setChecking(false);
    });
  }, []);

  /** Answers the error message, or undefined once signed in. */
  const signIn = useCallback(async (email: string, password: string): Promise<string | undefined> => {
    const login = await authLogin({ client: api, body: { email, password } });
    if (!login.data) return errorMessage(login.error, 'Sign-in failed');
    session.token = login.data.data.accessToken;
    setNotice(undefined);
    const current = await authMe({ client: api });
    if (!current.data) return errorMessage(current.error, 'Sign-in failed');
    setMe(current.data.data);
    return undefined;
  }, []);

  const signOut = useCallback(() => {
    session.token = null;
    setMe(null);
  }, []);

  return { me, checking, notice, signIn, signOut };
}
