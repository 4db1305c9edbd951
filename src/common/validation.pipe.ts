import { BadRequestException, ValidationError, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';
import { FieldError } from './envelope.js';

/**
 * Global validation: unknown fields are refused, types are converted only where declared, and the
 * error body names the first problem in `message` (as the seeds do: "videoId is required") while
 * listing every field problem in `errors`.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe(validationOptions());
}

/** The global pipe's options, for a route-level pipe that needs one of them changed. */
export function validationOptions(): ValidationPipeOptions {
  return {
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors: ValidationError[]) => {
      const fieldErrors = flatten(errors);
      const first = fieldErrors[0]?.messages[0] ?? 'Validation failed';
      return new BadRequestException({ message: first, errors: fieldErrors });
    },
  };
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
