import { Global, Module } from '@nestjs/common';
import { JobRunner } from './job-runner.js';

/**
 * The durable job runner, global so feature modules inject JobRunner without importing this
 * module; AppModule imports it once. Nothing else imports agenda.
 */
@Global()
@Module({ providers: [JobRunner], exports: [JobRunner] })
export class JobsModule {}
