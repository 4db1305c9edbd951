import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { ApiProperty } from '@nestjs/swagger';
import { HasVisibleCharacter } from '../common/text.js';
import { UserResponseDto } from '../users/user.dto.js';
import { Role } from '../common/role.enum.js';

export class LoginDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;

  @IsString()
  @IsNotEmpty({ message: 'password is required' })
  @HasVisibleCharacter()
  @MaxLength(256)
  password: string;
}

export class LoginLockParamsDto {
  /** The email whose locks to lift. */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;
}

export class LoginLocksLiftedDto {
  email: string;
  /** How many client addresses had this email locked out. */
  addressesUnlocked: number;
}

export class LoginResponseDto {
  /** Send as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds until the token expires. */
  expiresIn: number;
  user: UserResponseDto;
}

/** Who a bearer token belongs to. */
export class MeResponseDto {
  userId: string;
  email: string;
  @ApiProperty({ enum: Role, enumName: 'Role' })
  role: Role;
  /** Absent only for a superadmin without a workspace. */
  workspaceId?: string;
}
