import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * A HeyGen webhook (docs/contracts/heygen.md#the-webhook): the specification's events
 * (`video.completed` / `video.failed`), HeyGen's real ones (`avatar_video.success` /
 * `avatar_video.fail`, and others we answer but do not handle), and the v3 envelope (`event_id`,
 * `created_at`). `event_data`'s fields are read leniently: HeyGen has spelled them differently over
 * time. Unknown fields are ignored.
 */
export class HeygenWebhookDto {
  @MaxLength(100)
  @IsString({ message: 'event_type must be a string' })
  @IsNotEmpty({ message: 'event_type is required' })
  @ApiProperty({ example: 'avatar_video.success' })
  event_type: string;

  @IsOptional()
  @IsObject({ message: 'event_data must be an object' })
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      '`video_id`, `callback_id`; on success `url` (HeyGen) or `video_url` and `thumbnail_url`, ' +
      'absolute http(s) URLs (a success with any other is a 400 and is not applied); ' +
      'on failure `msg` (HeyGen) or `error_message`',
    example: { video_id: 'abc123xyz456', url: 'https://resource.heygen.ai/video/…', callback_id: '65abc123def456789012abcd' },
  })
  event_data?: Record<string, unknown>;

  /** v3: the event's id, the same on a redelivery. */
  @IsOptional()
  @MaxLength(200)
  @IsString({ message: 'event_id must be a string' })
  @ApiPropertyOptional({ example: 'evt_01HX…' })
  event_id?: string;

  /** v3: when HeyGen created the event (kept as sent). */
  @IsOptional()
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'number' }] })
  created_at?: string | number;
}

export class HeygenWebhookResultDto {
  event_type: string;
  /**
   * `accepted` (applied), `duplicate` (seen before, nothing changed), `ignored` (unknown video or
   * event, or a failure after a success) or `held` (HeyGen is paused: stored, applied on resume).
   */
  @ApiProperty({ enum: ['accepted', 'duplicate', 'ignored', 'held'] })
  outcome: string;
  video_id?: string;
  reel_id?: string;
  /** The reel's status after the event. */
  status?: string;
}

export class HeygenOptionsResultDto {
  @ApiProperty({ example: 'heygen' })
  endpoint: string;
}
