/**
 * Handshake and basic server commands, through the native driver.
 * Expected values come from the MongoDB manual pages named on each test.
 */
import { after as afterAll, before as beforeAll, describe, it, clientOptions, openSuite, rejectionOf, type Suite } from './harness.js';
import { expect } from 'expect';
import { MongoClient, MongoServerError, type CommandStartedEvent } from 'mongodb';

let s: Suite;

beforeAll(async () => {
  s = await openSuite(import.meta.filename);
});
afterAll(async () => {
  await s?.teardown();
});

describe('handshake', () => {
  // manual: reference/command/ping — "{ ok: 1 }"
  it('connects and answers ping with ok: 1', async () => {
    const res = await s.client.db(s.dbName).command({ ping: 1 });
    expect(res.ok).toBe(1);
  });

  // manual: reference/command/hello — output fields
  it('hello reports a writable primary with the documented fields', async () => {
    const res = await s.client.db('admin').command({ hello: 1 });
    expect(res.ok).toBe(1);
    expect(res.isWritablePrimary).toBe(true);
    expect(typeof res.minWireVersion).toBe('number');
    expect(typeof res.maxWireVersion).toBe('number');
    // driver 7 requires wire version >= 9 (MongoDB 4.4)
    expect(res.maxWireVersion).toBeGreaterThanOrEqual(9);
    expect(res.minWireVersion).toBeLessThanOrEqual(res.maxWireVersion);
    // "logicalSessionTimeoutMinutes: The time in minutes that a session remains active after its most recent use."
    expect(typeof res.logicalSessionTimeoutMinutes).toBe('number');
    // manual: hello — maxBsonObjectSize 16 MiB, maxMessageSizeBytes 48000000, maxWriteBatchSize 100000
    expect(res.maxBsonObjectSize).toBe(16 * 1024 * 1024);
    expect(res.maxMessageSizeBytes).toBe(48000000);
    expect(res.maxWriteBatchSize).toBe(100000);
    expect(res.localTime).toBeInstanceOf(Date);
  });

  // manual: reference/command/isMaster — the legacy name answers with "ismaster: true" on a primary/standalone
  it('legacy isMaster answers ismaster: true', async () => {
    const res = await s.client.db('admin').command({ isMaster: 1 });
    expect(res.ok).toBe(1);
    expect(res.ismaster).toBe(true);
    expect(res.maxWireVersion).toBeGreaterThanOrEqual(9);
  });

  // manual: reference/method/Mongo.startSession — sessions need logicalSessionTimeoutMinutes in hello
  it('client.startSession() works and a session-bound find runs', async () => {
    const session = s.client.startSession();
    try {
      const coll = s.client.db(s.dbName).collection('hs_session');
      await coll.insertOne({ _id: 1 as any, x: 1 }, { session });
      const doc = await coll.findOne({ _id: 1 as any }, { session });
      expect(doc).toEqual({ _id: 1, x: 1 });
      expect(session.id).toBeDefined();
    } finally {
      await session.endSession();
    }
  });

  // manual: reference/command/buildInfo — version (string) and versionArray
  it('buildInfo returns version and versionArray', async () => {
    const res = await s.client.db('admin').command({ buildInfo: 1 });
    expect(res.ok).toBe(1);
    expect(typeof res.version).toBe('string');
    expect(res.version).toMatch(/^\d+\.\d+/);
    expect(Array.isArray(res.versionArray)).toBe(true);
    expect(res.versionArray.length).toBeGreaterThanOrEqual(2);
    // versionArray mirrors the version string
    expect(res.version.startsWith(`${Number(res.versionArray[0])}.${Number(res.versionArray[1])}`)).toBe(true);
  });

  // manual: reference/error-codes — 59 CommandNotFound
  it('an unknown command rejects promptly with code 59 CommandNotFound', async () => {
    const started = Date.now();
    const err = await rejectionOf(s.client.db(s.dbName).command({ noSuchCmd: 1 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(59);
    expect(err.codeName).toBe('CommandNotFound');
    // the connection is still usable afterwards
    expect((await s.client.db(s.dbName).command({ ping: 1 })).ok).toBe(1);
  });

  // manual: reference/command/serverStatus — always includes host, version, process, uptime, localTime
  it('serverStatus answers ok with version and uptime', async () => {
    const res = await s.client.db('admin').command({ serverStatus: 1 });
    expect(res.ok).toBe(1);
    expect(typeof res.version).toBe('string');
    expect(typeof res.uptime).toBe('number');
    expect(res.localTime).toBeInstanceOf(Date);
  });

  // manual: reference/command/getParameter — "{ getParameter: '*' }" returns all parameters
  it("getParameter '*' answers ok: 1", async () => {
    const res = await s.client.db('admin').command({ getParameter: '*' });
    expect(res.ok).toBe(1);
  });

  // manual: reference/command/endSessions — the driver sends endSessions for pooled sessions on close
  it('endSessions is accepted when a client with used sessions closes', async () => {
    const client = new MongoClient(s.target.uri, { ...clientOptions, monitorCommands: true });
    const failed: string[] = [];
    const started: CommandStartedEvent[] = [];
    client.on('commandStarted', (e) => started.push(e));
    client.on('commandFailed', (e) => failed.push(e.commandName));
    await client.connect();
    const session = client.startSession();
    await client.db(s.dbName).collection('hs_end').findOne({}, { session });
    await session.endSession();
    await client.close();
    expect(started.some((e) => e.commandName === 'endSessions')).toBe(true);
    expect(failed).not.toContain('endSessions');
  });

  // manual: reference/command/endSessions — direct invocation with session ids
  it('endSessions command answers ok: 1', async () => {
    const session = s.client.startSession();
    await s.client.db(s.dbName).collection('hs_end2').findOne({}, { session });
    const id = session.id!;
    await session.endSession();
    const res = await s.client.db('admin').command({ endSessions: [id] });
    expect(res.ok).toBe(1);
  });
});
