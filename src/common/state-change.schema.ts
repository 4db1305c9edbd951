import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { Schema as MongooseSchema } from 'mongoose';

/**
 * One state change of a record that keeps its history (a video, a reel), pushed by the same
 * conditional update that makes the change (never a write of its own): the version it made, the
 * status entered, when, and why or by whom when that is known.
 */
export interface StateChangeOf<S extends string> {
  /** The record's `version` this change made. */
  version: number;
  status: S;
  at: Date;
  /** Why: a failure's error, a refusal or rejection's reason, a retry. */
  reason?: string;
  /** Who, when a person made the change (a superadmin's fail, a producer's approval). */
  by?: string;
}

/** The subdocument schema of a StateChangeOf<S>, no `_id` of its own, `status` one of `statuses`. */
export function stateChangeSchema<S extends string>(statuses: readonly S[]): MongooseSchema<StateChangeOf<S>> {
  @Schema({ _id: false })
  class StateChange implements StateChangeOf<S> {
    @Prop({ required: true })
    version: number;

    @Prop({ required: true, enum: statuses, type: String })
    status: S;

    @Prop({ required: true })
    at: Date;

    @Prop()
    reason?: string;

    @Prop()
    by?: string;
  }
  return SchemaFactory.createForClass(StateChange) as unknown as MongooseSchema<StateChangeOf<S>>;
}
