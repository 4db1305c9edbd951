import { Controller, Get, HttpStatus } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, MongooseHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators.js';
import { ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { ok, SuccessEnvelope } from '../common/envelope.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mongoose: MongooseHealthIndicator,
  ) {}

  /** Liveness and database state; 503 when MongoDB does not answer a ping within 3 s. */
  @Get()
  @Public()
  @HealthCheck()
  @ApiErrorResponses(HttpStatus.SERVICE_UNAVAILABLE)
  async check(): Promise<SuccessEnvelope<HealthCheckResult>> {
    return ok(await this.health.check([() => this.mongoose.pingCheck('mongodb', { timeout: 3000 })]));
  }
}
