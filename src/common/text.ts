import { Transform } from 'class-transformer';
import { ValidateBy, ValidationOptions } from 'class-validator';

/** Surrounding whitespace is dropped before validation, so "   " is empty rather than a name. */
export const Trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

/**
 * Control, format (zero-width, bidi overrides), private-use, unassigned and separator characters,
 * and the letters that render as nothing (Hangul fillers): text that looks like something other
 * than what it is.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0]/u;
/** The same, less the joiners that Persian and Indic names and emoji sequences need. */
const INVISIBLE_IN_NAMES = /[\p{Cc}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0]|(?![\u200C\u200D])\p{Cf}/u;

/** An identifier (SKU, template id): no control or invisible character at all. */
export function IsPlainIdentifier(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPlainIdentifier',
      validator: {
        validate: (value) => typeof value !== 'string' || !INVISIBLE.test(value),
        defaultMessage: (args) => `${args?.property} must not contain control or invisible characters`,
      },
    },
    options,
  );
}

/** A name people read (workspace, plan, user, product title): no control or invisible character but the joiners. */
export function IsPlainName(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPlainName',
      validator: {
        validate: (value) => typeof value !== 'string' || !INVISIBLE_IN_NAMES.test(value),
        defaultMessage: (args) => `${args?.property} must not contain control or invisible characters`,
      },
    },
    options,
  );
}

/** True when a password has at least one character that is neither whitespace nor invisible. */
export function hasVisibleCharacter(value: string): boolean {
  return /[^\s\p{C}\p{Z}\u115F\u1160\u3164\uFFA0]/u.test(value);
}

/** A password made only of whitespace or control characters is no password. */
export function HasVisibleCharacter(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasVisibleCharacter',
      validator: {
        validate: (value) => typeof value !== 'string' || hasVisibleCharacter(value),
        defaultMessage: (args) => `${args?.property} must contain visible characters, not only spaces or control characters`,
      },
    },
    options,
  );
}
