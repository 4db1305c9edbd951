import { Role } from './role.enum.js';

/** What a verified JWT tells a request handler about its caller. */
export interface AuthenticatedUser {
  userId: string;
  email: string;
  role: Role;
  /** Undefined only for a superadmin without a workspace. */
  workspaceId?: string;
}

export interface JwtPayload {
  sub: string;
  email: string;
  role: Role;
  workspaceId?: string;
}
