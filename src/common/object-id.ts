import { applyDecorators, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import { IsMongoId, ValidationOptions } from 'class-validator';
import { isValidObjectId, Types } from 'mongoose';

const OBJECT_ID_PATTERN = '^[0-9a-fA-F]{24}$';

/** A 24-hex-character ObjectId in a DTO, validated and documented in one decorator. */
export function IsObjectId(options: ValidationOptions & { api?: ApiPropertyOptions } = {}): PropertyDecorator {
  const { api, ...validation } = options;
  return applyDecorators(
    IsMongoId({ message: ({ property }) => `${property} must be a valid ObjectId`, ...validation }),
    ApiProperty({ type: String, pattern: OBJECT_ID_PATTERN, example: '507f1f77bcf86cd799439011', ...api }),
  );
}

export function isObjectIdString(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-fA-F]{24}$/.test(value) && isValidObjectId(value);
}

/** Route parameter pipe: a malformed id is a 400 with a clear message, never a CastError 500. */
@Injectable()
export class ParseObjectIdPipe implements PipeTransform<string, string> {
  constructor(private readonly message = 'Invalid id format') {}

  transform(value: string): string {
    if (!isObjectIdString(value)) throw new BadRequestException(this.message);
    return new Types.ObjectId(value).toHexString();
  }
}
