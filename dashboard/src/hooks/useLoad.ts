import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../api.js';

/** A generated client call's answer: the envelope's data, or an error. */
type Answer<T> = { data?: { data: T }; error?: unknown; response?: Response };

/**
 * Loads once per `key` (and on `reload`), keeping the last answer while the next one loads. A
 * later answer always wins over an earlier one still on its way. When a reload of the same key
 * fails, the last good answer stays shown and `staleSince` says when it was loaded.
 */
export function useLoad<T>(key: string, load: () => Promise<Answer<T>>) {
  const [state, setState] = useState<{ key: string; data?: T; error?: string; loading: boolean; loadedAt?: Date }>({ key, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    const failed = (error: string) =>
      setState((previous) => ({ key, error, loading: false, ...(previous.key === key && previous.data !== undefined && { data: previous.data, loadedAt: previous.loadedAt }) }));
    setState((previous) => ({ ...previous, key, loading: true }));
    void load().then(
      (answer) => {
        if (!current) return;
        if (answer.data) setState({ key, data: answer.data.data, loading: false, loadedAt: new Date() });
        else failed(errorMessage(answer.error, `Request failed${answer.response ? ` (${answer.response.status})` : ''}`));
      },
      (error: unknown) => current && failed(errorMessage(error, 'The API could not be reached')),
    );
    return () => {
      current = false;
    };
    // `load` is recreated each render; `key` says when it asks something else.
  }, [key, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  // What was loaded for another key is not shown as this key's.
  const mine = state.key === key;
  return {
    data: mine ? state.data : undefined,
    error: mine ? state.error : undefined,
    loading: state.loading || !mine,
    reload,
    staleSince: mine && state.error && state.data !== undefined ? state.loadedAt : undefined,
  };
}
