import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A named sequence: `$inc` on its document hands out each number once, across instances. */
@Schema({ collection: 'counters', versionKey: false })
export class Counter {
  @Prop({ type: String })
  _id: string;

  @Prop({ required: true })
  seq: number;
}

export const CounterSchema = SchemaFactory.createForClass(Counter);
