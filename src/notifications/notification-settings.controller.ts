import { Body, Controller, Get, HttpStatus, NotFoundException, Param, Patch } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, CurrentUser } from '../common/auth.decorators.js';
import { AuthenticatedUser } from '../common/authenticated-user.js';
import { Role } from '../common/role.enum.js';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, SuccessEnvelope } from '../common/envelope.js';
import { ParseObjectIdPipe } from '../common/object-id.js';
import { workspaceScope } from '../common/workspace-scope.js';
import { NotificationSettingsResponseDto, toNotificationSettingsResponse, UpdateNotificationSettingsDto } from './notification-settings.dto.js';
import { NotificationSettingsService } from './notification-settings.service.js';

const WorkspaceIdPipe = new ParseObjectIdPipe('Invalid workspace id format');

/**
 * A workspace's notification channels: its users read them, its producers (and superadmins)
 * change them; another workspace's settings are a 404, as if it did not exist.
 */
@ApiTags('notifications')
@Controller('api/workspaces/:workspaceId/notification-settings')
@Auth()
export class NotificationSettingsController {
  constructor(private readonly settings: NotificationSettingsService) {}

  /** The settings, with the Slack and Discord URLs masked. */
  @Get()
  @ApiEnvelopeResponse(NotificationSettingsResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async get(
    @CurrentUser() user: AuthenticatedUser,
    @Param('workspaceId', WorkspaceIdPipe) workspaceId: string,
  ): Promise<SuccessEnvelope<NotificationSettingsResponseDto>> {
    return ok(toNotificationSettingsResponse(await this.settings.get(scope(user, workspaceId))));
  }

  /** Change some settings: a URL sets a channel, null removes it, an absent field stays as it is. */
  @Patch()
  @Auth(Role.Producer, Role.SuperAdmin)
  @ApiEnvelopeResponse(NotificationSettingsResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async update(
    @CurrentUser() user: AuthenticatedUser,
    @Param('workspaceId', WorkspaceIdPipe) workspaceId: string,
    @Body() dto: UpdateNotificationSettingsDto,
  ): Promise<SuccessEnvelope<NotificationSettingsResponseDto>> {
    const updated = await this.settings.update(scope(user, workspaceId), {
      slackWebhookUrl: dto.slackWebhookUrl,
      discordWebhookUrl: dto.discordWebhookUrl,
      emailEnabled: dto.emailEnabled,
    });
    return ok(toNotificationSettingsResponse(updated), 'Notification settings updated');
  }
}

/** Another workspace is a 404 here (the id is in the path), not workspaceScope's 403. */
function scope(user: AuthenticatedUser, workspaceId: string): string {
  if (user.role !== Role.SuperAdmin && user.workspaceId !== workspaceId) throw new NotFoundException('Workspace not found');
  return workspaceScope(user, workspaceId);
}
