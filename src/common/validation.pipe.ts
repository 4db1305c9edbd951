import { ArgumentMetadata, BadRequestException, Type, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError } from './envelope.js';

/** However much is wrong with a body, an answer lists at most this many fields. */
export const MAX_FIELD_ERRORS = 10;

/**
 * Names class-transformer skips because the DTO instance already has them (inherited from
 * Object.prototype), so the whitelist would never see them: refused here like any unknown field.
 */
const PROTOTYPE_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__']);

/** Checked first: a missing value is reported as missing, whatever else its rules say. */
const PRESENCE_CONSTRAINTS = ['isDefined', 'isNotEmpty'];
/** Then a value of the wrong type, before any format or range rule. */
const TYPE_CONSTRAINTS = ['isString', 'isInt', 'isNumber', 'isBoolean', 'isArray', 'isObject', 'isEnum', 'isDate'];

/**
 * Global validation: unknown fields are refused, types are converted only where declared, and the
 * error body names the first problem in `message` (as the contracts do: "videoId is required",
 * docs/contracts/rck.md#errors) while listing one message per field, for at most MAX_FIELD_ERRORS
 * fields, in `errors`.
 */
export function createValidationPipe(options: { forbidUnknownFields?: boolean; expectedType?: Type<unknown> } = {}): ValidationPipe {
  return new AppValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: options.forbidUnknownFields ?? true,
    transform: true,
    expectedType: options.expectedType,
    exceptionFactory: (errors: ValidationError[]) => {
      const fieldErrors = flatten(errors).slice(0, MAX_FIELD_ERRORS);
      const first = fieldErrors[0]?.messages[0] ?? 'Validation failed';
      return new BadRequestException({ message: first, errors: fieldErrors });
    },
  });
}

class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, declared: ArgumentMetadata): Promise<unknown> {
    // A route-level pipe may name the DTO itself (a webhook declares its body as a plain record).
    const metadata = this.expectedType ? { ...declared, metatype: this.expectedType } : declared;
    // Only where a DTO validates the value: a webhook taking its body as it came is left alone.
    if ((metadata.type === 'body' || metadata.type === 'query') && this.toValidate(metadata)) {
      if (metadata.type === 'body' && value != null && (typeof value !== 'object' || Array.isArray(value))) {
        throw new BadRequestException('The request body must be a JSON object');
      }
      const found = prototypeKeys(value, '', []);
      if (found.length > 0) {
        const errors = found.slice(0, MAX_FIELD_ERRORS).map(({ field, key }) => ({
          field,
          messages: [`property ${key} should not exist`],
        }));
        throw new BadRequestException({ message: errors[0].messages[0], errors });
      }
    }
    return super.transform(value, metadata);
  }
}

/** Bodies are bounded in depth and size before they get here (src/common/http-body.ts). */
function prototypeKeys(value: unknown, parent: string, found: Array<{ field: string; key: string }>) {
  if (typeof value !== 'object' || value === null || found.length >= MAX_FIELD_ERRORS) return found;
  if (Array.isArray(value)) {
    value.forEach((item, index) => prototypeKeys(item, `${parent}[${index}]`, found));
    return found;
  }
  for (const key of Object.keys(value)) {
    const field = parent ? `${parent}.${key}` : key;
    if (PROTOTYPE_KEYS.has(key)) found.push({ field, key });
    else prototypeKeys((value as Record<string, unknown>)[key], field, found);
  }
  return found;
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: [oneMessage(error, error.constraints)] }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** The one message that names the real problem: missing, then wrong type, then the first rule. */
function oneMessage(error: ValidationError, constraints: Record<string, string>): string {
  if (constraints.whitelistValidation) return constraints.whitelistValidation;
  if (error.value === undefined || error.value === null) {
    const presence = PRESENCE_CONSTRAINTS.find((name) => constraints[name]);
    return presence ? constraints[presence] : `${error.property} is required`;
  }
  const type = TYPE_CONSTRAINTS.find((name) => constraints[name]);
  if (type) return constraints[type];
  // class-validator lists a property's failed rules last-declared first.
  const names = Object.keys(constraints);
  return constraints[names[names.length - 1]];
}
