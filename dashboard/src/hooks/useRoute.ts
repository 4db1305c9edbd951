import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';

export interface Router {
  params: URLSearchParams;
  /** Goes to a query string (`?view=events&…`), as a new history entry. */
  navigate(to: string): void;
}

export const RouterContext = createContext<Router>({ params: new URLSearchParams(), navigate: () => undefined });

/** The query string as state: followed on back / forward, changed through navigate. */
export function useLocationRouter(): Router {
  const [query, setQuery] = useState(window.location.search);
  useEffect(() => {
    const onPop = () => setQuery(window.location.search);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string) => {
    const next = to === '?' ? '' : to;
    window.history.pushState(null, '', `${window.location.pathname}${next}`);
    setQuery(next);
  }, []);
  const params = useMemo(() => new URLSearchParams(query), [query]);
  return useMemo(() => ({ params, navigate }), [params, navigate]);
}

export function useRouter(): Router {
  return useContext(RouterContext);
}
