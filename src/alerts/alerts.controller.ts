import { Body, Controller, Delete, Get, HttpCode, HttpStatus, NotFoundException, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth } from '../common/auth.decorators.js';
import { Role } from '../common/role.enum.js';
import { ApiEnvelopeResponse, ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, pagination, SuccessEnvelope } from '../common/envelope.js';
import { ParseObjectIdPipe } from '../common/object-id.js';
import { pageWindow } from '../common/pagination.dto.js';
import {
  AlertIncidentListDto,
  AlertRuleListDto,
  AlertRuleResponseDto,
  CreateAlertRuleDto,
  EvaluationListDto,
  ListIncidentsQueryDto,
  toAlertIncidentResponse,
  toAlertRuleResponse,
  UpdateAlertRuleDto,
} from './alert.dto.js';
import { AlertRepository, NewAlertRule } from './alert.repository.js';
import { AlertsService } from './alerts.service.js';

const RuleIdPipe = new ParseObjectIdPipe('Invalid alert rule id format');
const RULE_NOT_FOUND = 'Alert rule not found';

/** Alert rules and their incidents: superadmins only. */
@ApiTags('alerts')
@Controller('api/alerts')
@Auth(Role.SuperAdmin)
export class AlertsController {
  constructor(
    private readonly alerts: AlertRepository,
    private readonly service: AlertsService,
  ) {}

  /** Create a rule; the job runner evaluates it from its next run on. */
  @Post('rules')
  @ApiEnvelopeResponse(AlertRuleResponseDto, { status: HttpStatus.CREATED })
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  async create(@Body() dto: CreateAlertRuleDto): Promise<SuccessEnvelope<AlertRuleResponseDto>> {
    const rule = await this.alerts.createRule({ ...dto, enabled: dto.enabled ?? true, channels: { emails: [], ...dto.channels } } as NewAlertRule);
    return ok(toAlertRuleResponse(rule));
  }

  @Get('rules')
  @ApiEnvelopeResponse(AlertRuleListDto)
  async list(): Promise<SuccessEnvelope<AlertRuleListDto>> {
    return ok({ rules: (await this.alerts.listRules()).map(toAlertRuleResponse) });
  }

  /** Change a rule; `channels`, when given, replaces the channels as a whole. */
  @Patch('rules/:id')
  @ApiEnvelopeResponse(AlertRuleResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async update(@Param('id', RuleIdPipe) id: string, @Body() dto: UpdateAlertRuleDto): Promise<SuccessEnvelope<AlertRuleResponseDto>> {
    const changes = Object.fromEntries(Object.entries(dto).filter(([, value]) => value !== undefined)) as Partial<NewAlertRule>;
    if (dto.channels) changes.channels = { emails: [], ...dto.channels };
    const rule = await this.alerts.updateRule(id, changes);
    if (!rule) throw new NotFoundException(RULE_NOT_FOUND);
    return ok(toAlertRuleResponse(rule));
  }

  /** Delete a rule; its incidents stay in the history. */
  @Delete('rules/:id')
  @HttpCode(HttpStatus.OK)
  @ApiEnvelopeResponse(AlertRuleResponseDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST, HttpStatus.NOT_FOUND)
  async remove(@Param('id', RuleIdPipe) id: string): Promise<SuccessEnvelope<AlertRuleResponseDto>> {
    const rule = await this.alerts.deleteRule(id);
    if (!rule) throw new NotFoundException(RULE_NOT_FOUND);
    return ok(toAlertRuleResponse(rule), 'Alert rule deleted');
  }

  /** Incidents, open ones first, then the latest resolved. */
  @Get('incidents')
  @ApiEnvelopeResponse(AlertIncidentListDto)
  @ApiErrorResponses(HttpStatus.BAD_REQUEST)
  async incidents(@Query() query: ListIncidentsQueryDto): Promise<SuccessEnvelope<AlertIncidentListDto>> {
    const { page, limit, skip } = pageWindow(query);
    const { incidents, total } = await this.alerts.listIncidents(query.status, skip, limit);
    return ok({ incidents: incidents.map(toAlertIncidentResponse), pagination: pagination(page, limit, total) });
  }

  /** Evaluate every enabled rule now (the job runner does it every ALERTS_EVALUATE_EVERY_MS). */
  @Post('evaluate')
  @HttpCode(HttpStatus.OK)
  @ApiEnvelopeResponse(EvaluationListDto)
  async evaluate(): Promise<SuccessEnvelope<EvaluationListDto>> {
    return ok({ evaluations: await this.service.evaluate() });
  }
}
