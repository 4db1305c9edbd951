/**
 * A small MongoDB-compatible server speaking the wire protocol over TCP, for the test suite and
 * the offline embedded default of `npm start`. Self-contained: imports nothing from the app.
 * Query/update/aggregation semantics come from mingo; see README.md for the gaps filled here.
 */
export { startMongoWireServer } from './server.js';
export type { MongoWireServer, MongoWireServerOptions, MongoWireStatus } from './server.js';
export type { CheckpointResult, DurabilityStatus } from './durability.js';
