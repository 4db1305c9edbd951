import { useEffect, useState } from 'react';
import { workspacesList, type WorkspaceResponseDto } from '../../../openapi/client/index.js';
import { api } from '../api.js';

/** Every workspace (the first 100), for the choosers. */
export function useWorkspaces(): WorkspaceResponseDto[] {
  const [workspaces, setWorkspaces] = useState<WorkspaceResponseDto[]>([]);
  useEffect(() => {
    void workspacesList({ client: api, query: { limit: 100 } }).then(({ data }) => data && setWorkspaces(data.data.workspaces));
  }, []);
  return workspaces;
}
