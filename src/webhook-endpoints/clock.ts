import { Injectable } from '@nestjs/common';

/** The time this module reads (failure clocks, schedules, rotation overlaps); tests move it. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
