import { createParamDecorator, ExecutionContext, ForbiddenException } from '@nestjs/common';
import { AuthenticatedUser } from './authenticated-user.js';

/** The caller's workspace id; a caller without one (a superadmin) cannot use workspace routes. */
export const WorkspaceId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const user = context.switchToHttp().getRequest<{ user?: AuthenticatedUser }>().user;
  if (!user?.workspaceId) throw new ForbiddenException('This action requires a workspace');
  return user.workspaceId;
});
