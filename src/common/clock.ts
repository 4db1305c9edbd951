import { Injectable } from '@nestjs/common';

/**
 * The time, as a provider, so that tests can move it (e.g. past HeyGen's 7-day link lifetime, an
 * endpoint's failure clock, a rotated secret's overlap) without faking Date for the whole process.
 * Each module that reads the time provides it; a test's override replaces it in all of them.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
