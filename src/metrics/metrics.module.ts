import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service.js';

/**
 * The service's own Prometheus metrics, a leaf: global, so any module can count what it does
 * without importing the monitoring read-side (which serves them on /metrics).
 */
@Global()
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
