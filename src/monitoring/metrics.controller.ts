import { Controller, Get, Headers, Inject, Res, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/auth.decorators.js';
import { metricsConfig, type MetricsConfig } from '../metrics/metrics.config.js';
import { constantTimeEqual } from '../inbound-webhook-contract/signature-verifiers.js';

/**
 * GET /metrics in Prometheus' text format. In production it needs `Authorization: Bearer
 * METRICS_TOKEN` (and is closed when no token is set); in development and tests it is open.
 */
@ApiExcludeController()
@Controller()
@Public()
export class MetricsController extends PrometheusController {
  constructor(@Inject(metricsConfig.KEY) private readonly config: MetricsConfig) {
    super();
  }

  @Get()
  override async index(@Res({ passthrough: true }) response: FastifyReply, @Headers('authorization') authorization?: string) {
    const { token, required } = this.config;
    if (required) {
      const offered = Buffer.from(authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '');
      if (!token || !constantTimeEqual(offered, Buffer.from(token))) throw new UnauthorizedException('Invalid or missing metrics token');
    }
    return super.index(response);
  }
}
