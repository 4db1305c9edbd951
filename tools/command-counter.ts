/**
 * The ingest benchmark's command counter (`npm run bench:ingest` with BENCH_COMMANDS=1 loads it
 * into both targets with `node --import`): every MongoClient the process connects, the driver's
 * own or Mongoose's, reports each command it starts, counted by command and collection, so the
 * benchmark can say how many commands a delivery costs each target. The benchmark asks for the
 * counts over the IPC channel it opened (`'bench:commands'`); the answer also holds the first
 * command of each kind as sent, to check that the minimal handler sends what the service does.
 * Off by default: monitoring costs each command some CPU, and the handler sends more of them.
 */
import { CommandStartedEvent, MongoClient } from 'mongodb';

const counts: Record<string, number> = {};
const samples: Record<string, unknown> = {};

const connect = MongoClient.prototype.connect;
MongoClient.prototype.connect = function (this: MongoClient) {
  // A setter the driver's types leave out; it must be set before the client connects.
  (this as unknown as { monitorCommands: boolean }).monitorCommands = true;
  this.on('commandStarted', (event: CommandStartedEvent) => {
    const target = event.command[event.commandName];
    const collection = event.commandName === 'getMore' ? event.command.collection : target;
    const key = typeof collection === 'string' ? `${event.commandName} ${collection}` : event.commandName;
    counts[key] = (counts[key] ?? 0) + 1;
    if (Object.keys(samples).length < 200) samples[`${key} ${shape(event.command)}`] ??= event.command;
  });
  return connect.call(this);
} as typeof MongoClient.prototype.connect;

/** Which kind of write or lookup a command is, beyond its name: the fields it matches on and the operators it applies. */
function shape(command: Record<string, any>): string {
  const update = command.updates?.[0];
  if (update) return `${Object.keys(update.q ?? {}).join(',')} ${Object.keys(update.u ?? {}).join(',')}`;
  if (command.query) return `${Object.keys(command.query).join(',')} ${Object.keys(command.update ?? {}).join(',')}`;
  return Object.keys(command.filter ?? {}).join(',');
}

process.on('message', (message) => {
  if (message === 'bench:commands') process.send?.({ counts, samples });
});
