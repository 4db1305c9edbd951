import { applyDecorators, createParamDecorator, ExecutionContext, HttpStatus, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiErrorResponses } from './api-envelope.decorator.js';
import { AuthenticatedUser } from './authenticated-user.js';
import { Role } from './role.enum.js';

export const IS_PUBLIC_KEY = 'auth:public';
export const ROLES_KEY = 'auth:roles';

/**
 * Every route requires a valid bearer token unless marked `@Public()` (the global guards deny by
 * default). `@Auth(...roles)` documents that and, with roles, restricts the route to them.
 */
export function Auth(...roles: Role[]): MethodDecorator & ClassDecorator {
  const statuses = roles.length > 0 ? [HttpStatus.UNAUTHORIZED, HttpStatus.FORBIDDEN] : [HttpStatus.UNAUTHORIZED];
  return applyDecorators(
    // Explicitly not public, so @Auth on a method wins over @Public() on its class.
    SetMetadata(IS_PUBLIC_KEY, false),
    // Only with roles: a bare @Auth() on a method must not clear the roles its class requires.
    ...(roles.length > 0 ? [SetMetadata(ROLES_KEY, roles)] : []),
    ApiBearerAuth(),
    ApiErrorResponses(...statuses),
  );
}

/** No bearer token needed (login, health, webhooks that carry their own signature). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedUser => {
  return context.switchToHttp().getRequest<{ user: AuthenticatedUser }>().user;
});
