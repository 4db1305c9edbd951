import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsEnum, IsNotEmpty, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { Role } from '../common/role.enum.js';
import { IsObjectId } from '../common/object-id.js';
import { PaginationDto } from '../common/pagination.dto.js';
import { HasVisibleCharacter, IsPlainName, Trim } from '../common/text.js';
import { UserRecord } from './user.repository.js';

export class CreateUserDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;

  @Trim()
  @IsString()
  @IsNotEmpty({ message: 'name is required' })
  @IsPlainName()
  @MaxLength(120)
  name: string;

  /** At least 12 characters, not only whitespace or control characters. */
  @IsString()
  @HasVisibleCharacter()
  @MinLength(12)
  @MaxLength(256)
  password: string;

  @ApiProperty({ enum: Role, enumName: 'Role' })
  @IsEnum(Role, { message: `role must be one of: ${Object.values(Role).join(', ')}` })
  role: Role;

  /** Required for every role but superadmin. */
  @IsOptional()
  @IsObjectId({ api: { required: false } })
  workspaceId?: string;
}

export class UserResponseDto {
  @ApiProperty({ example: '507f1f77bcf86cd799439011' })
  id: string;
  email: string;
  name: string;
  @ApiProperty({ enum: Role, enumName: 'Role' })
  role: Role;
  @ApiPropertyOptional({ example: '507f1f77bcf86cd799439012' })
  workspaceId?: string;
  createdAt: Date;
}

export function toUserResponse(user: UserRecord): UserResponseDto {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    workspaceId: user.workspaceId,
    createdAt: user.createdAt,
  };
}

export class UserListDto {
  users: UserResponseDto[];
  pagination: PaginationDto;
}
