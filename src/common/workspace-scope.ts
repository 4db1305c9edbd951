import { BadRequestException, ForbiddenException } from '@nestjs/common';
import { AuthenticatedUser } from './authenticated-user.js';
import { Role } from './role.enum.js';

/**
 * The workspace a request acts on: the caller's own, or any one a superadmin names (a superadmin
 * without a workspace must name one). Anyone else naming another workspace is refused.
 */
export function workspaceScope(user: AuthenticatedUser, requested?: string): string {
  if (user.role === Role.SuperAdmin) {
    const workspaceId = requested ?? user.workspaceId;
    if (!workspaceId) throw new BadRequestException('workspaceId is required');
    return workspaceId;
  }
  if (requested && requested !== user.workspaceId) throw new ForbiddenException('Only a superadmin may choose the workspace');
  if (!user.workspaceId) throw new ForbiddenException('This action requires a workspace');
  return user.workspaceId;
}
