import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../api.js';

/** A generated client call's answer: the envelope's data, or an error. */
type Answer<T> = { data?: { data: T }; error?: unknown; response?: Response };

/**
 * Loads once per `key` (and on `reload`), keeping the last answer while the next one loads. A
 * later answer always wins over an earlier one still on its way.
 */
export function useLoad<T>(key: string, load: () => Promise<Answer<T>>) {
  const [state, setState] = useState<{ key: string; data?: T; error?: string; loading: boolean }>({ key, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, key, loading: true }));
    void load().then(
      (answer) => {
        if (!current) return;
        setState(answer.data ? { key, data: answer.data.data, loading: false } : { key, error: errorMessage(answer.error, `Request failed${answer.response ? ` (${answer.response.status})` : ''}`), loading: false });
      },
      (error: unknown) => current && setState({ key, error: errorMessage(error, 'The API could not be reached'), loading: false }),
    );
    return () => {
      current = false;
    };
    // `load` is recreated each render; `key` says when it asks something else.
  }, [key, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  // What was loaded for another key is not shown as this key's.
  return { data: state.key === key ? state.data : undefined, error: state.key === key ? state.error : undefined, loading: state.loading || state.key !== key, reload };
}
