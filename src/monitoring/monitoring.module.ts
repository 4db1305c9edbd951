import { Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { MetricsController } from './metrics.controller.js';

/** Prometheus metrics on /metrics: the process metrics and those counted into MetricsService (src/metrics/). */
@Module({
  imports: [PrometheusModule.register({ controller: MetricsController, path: '/metrics', defaultMetrics: { enabled: true } })],
})
export class MonitoringModule {}
