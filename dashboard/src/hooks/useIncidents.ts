import { useEffect } from 'react';
import { alertsIncidents, type AlertIncidentListDto } from '../../../openapi/client/index.js';
import { api } from '../api.js';
import { useLoad } from './useLoad.js';

const REFRESH_MS = 30_000;

/** Alert incidents, open ones first, then the latest resolved; read again every 30 s. */
export function useIncidents() {
  const loaded = useLoad<AlertIncidentListDto>('incidents', () => alertsIncidents({ client: api, query: { limit: 10 } }));
  const { reload } = loaded;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  return loaded;
}
