import { Injectable } from '@nestjs/common';

/**
 * The time, as a provider, so that tests can move it (e.g. past HeyGen's 7-day link lifetime)
 * without faking Date for the whole process. Inject `Clock`; tests override it.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
