import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsNotEmpty, IsObject, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { PaginationDto } from '../common/pagination.dto.js';
import { IsPlainName, Trim } from '../common/text.js';
import { usagePeriodOf } from './usage-period.js';
import { WorkspaceRecord } from './workspace.repository.js';

export class SubscriptionPlanDto {
  /** Plan name shown to people, e.g. "starter". */
  @Trim()
  @IsString()
  @IsNotEmpty({ message: 'name is required' })
  @IsPlainName()
  @MaxLength(60)
  name: string;

  /** Videos the workspace may generate per calendar month (UTC). */
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  monthlyVideoLimit: number;
}

export class CreateWorkspaceDto {
  @Trim()
  @IsString()
  @IsNotEmpty({ message: 'name is required' })
  @IsPlainName()
  @MaxLength(120)
  name: string;

  @IsDefined({ message: 'plan is required' })
  @IsObject({ message: 'plan must be an object' })
  @ValidateNested()
  @Type(() => SubscriptionPlanDto)
  plan: SubscriptionPlanDto;
}

export class WorkspaceUsageDto {
  /** The current usage period, `YYYY-MM` (UTC). */
  period: string;
  videosGenerated: number;
  monthlyVideoLimit: number;
  remaining: number;
}

export class WorkspaceResponseDto {
  id: string;
  name: string;
  plan: SubscriptionPlanDto;
  usage: WorkspaceUsageDto;
  createdAt: Date;
}

export class WorkspaceListDto {
  workspaces: WorkspaceResponseDto[];
  pagination: PaginationDto;
}

/** Usage as of `now`: a counter left from an earlier month reads as zero (it resets on next use). */
export function toWorkspaceResponse(workspace: WorkspaceRecord, now = new Date()): WorkspaceResponseDto {
  const period = usagePeriodOf(now);
  const used = workspace.usage.period === period ? workspace.usage.videosGenerated : 0;
  return {
    id: workspace.id,
    name: workspace.name,
    plan: workspace.plan,
    usage: {
      period,
      videosGenerated: used,
      monthlyVideoLimit: workspace.plan.monthlyVideoLimit,
      remaining: Math.max(0, workspace.plan.monthlyVideoLimit - used),
    },
    createdAt: workspace.createdAt,
  };
}
