import { applyDecorators, HttpStatus, Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'videoId' })
  field: string;
  @ApiProperty({ type: [String], example: ['videoId is required'] })
  messages: string[];
}

/** The error body every failure uses (one exception filter produces it). */
export class ErrorEnvelopeDto {
  @ApiProperty({ example: false, enum: [false] })
  success: false;
  @ApiProperty({ example: 'Video not found' })
  message: string;
  @ApiPropertyOptional({ type: [FieldErrorDto] })
  errors?: FieldErrorDto[];
  @ApiPropertyOptional({ description: 'Quote this id when reporting an unexpected (500) error.' })
  errorId?: string;
}

interface EnvelopeOptions {
  status?: HttpStatus;
  description?: string;
  isArray?: boolean;
  /**
   * Documents the optional human-readable `message` sent beside `data`
   * (docs/contracts/rck.md#answers).
   */
  withMessage?: boolean;
}

/** Documents `{ success: true, data: <model> }` so the generated client gets the real shape. */
export function ApiEnvelopeResponse(model: Type<unknown>, options: EnvelopeOptions = {}): MethodDecorator {
  const ref = { $ref: getSchemaPath(model) };
  const properties: Record<string, object> = {
    success: { type: 'boolean', enum: [true], example: true },
    data: options.isArray ? { type: 'array', items: ref } : ref,
  };
  if (options.withMessage) properties.message = { type: 'string' };
  return applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status: options.status ?? HttpStatus.OK,
      description: options.description ?? 'Success',
      schema: { type: 'object', required: ['success', 'data'], properties },
    }),
  );
}

/** Documents the error envelope for the given statuses. */
export function ApiErrorResponses(...statuses: HttpStatus[]): MethodDecorator & ClassDecorator {
  return ApiErrorResponsesDescribed({}, ...statuses);
}

/** The same, with some statuses described in the route's own words (e.g. a webhook's 401 is about its signature). */
export function ApiErrorResponsesDescribed(
  descriptions: Partial<Record<HttpStatus, string>>,
  ...statuses: HttpStatus[]
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        type: ErrorEnvelopeDto,
        description: descriptions[status] ?? describe(status),
        ...(status === HttpStatus.TOO_MANY_REQUESTS && {
          headers: { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } } },
        }),
      }),
    ),
  );
}

function describe(status: HttpStatus): string {
  const texts: Partial<Record<HttpStatus, string>> = {
    [HttpStatus.BAD_REQUEST]: 'Invalid input',
    [HttpStatus.UNAUTHORIZED]: 'Missing or invalid bearer token',
    [HttpStatus.FORBIDDEN]: 'Authenticated, but the role does not allow this',
    [HttpStatus.NOT_FOUND]: 'Not found',
    [HttpStatus.CONFLICT]: 'Conflicts with existing data',
    [HttpStatus.PAYLOAD_TOO_LARGE]: 'Request body too large',
    [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'Unsupported Content-Type',
    [HttpStatus.TOO_MANY_REQUESTS]: 'Too many attempts; see the Retry-After header',
  };
  return texts[status] ?? 'Error';
}
