/**
 * BSON type fidelity, cross-type numeric comparison and the BSON comparison/sort order.
 * Values are read back with promoteValues: false so the wrapper classes reveal the stored BSON type.
 */
import { after as afterAll, before as beforeAll, describe, it, freshName, openSuite, type Suite } from './harness.js';
import { expect } from 'expect';
import {
  Binary,
  BSONRegExp,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
  type Collection,
  type Db,
  type Document,
} from 'mongodb';

let s: Suite;
let db: Db;

beforeAll(async () => {
  s = await openSuite(import.meta.filename);
  db = s.client.db(s.dbName);
});
afterAll(async () => {
  await s?.teardown();
});

const raw = { promoteValues: false, promoteLongs: false, promoteBuffers: false } as const;

describe('round trips', () => {
  let coll: Collection<Document>;
  const oid = new ObjectId();
  const when = new Date('2024-02-29T12:34:56.789Z');
  const uuid = new UUID('0f8fad5b-d9cb-469f-a165-70867728950e');

  beforeAll(async () => {
    coll = db.collection(freshName('types'));
    await coll.insertOne({
      _id: 1 as any,
      i32: new Int32(5),
      dbl: new Double(1.0),
      dblFrac: new Double(2.5),
      big: Long.fromString('9007199254740993'),
      small: Long.fromNumber(7),
      dec: Decimal128.fromString('1.10'),
      decBig: Decimal128.fromString('12345678901234567890.123456789'),
      when,
      oid,
      bin: new Binary(Buffer.from([0, 1, 2, 255])),
      uuid,
      nil: null,
      nested: { a: { b: [new Int32(1), { c: 'x' }] } },
      ts: new Timestamp({ t: 1700000000, i: 3 }),
      re: new BSONRegExp('^ab', 'i'),
      bool: true,
    });
  });

  // manual: reference/bson-types — each value keeps its BSON type
  it('Int32, Double (1.0 stays Double), Long, Decimal128 keep their types', async () => {
    const d = (await coll.findOne({ _id: 1 as any }, raw))!;
    expect(d.i32._bsontype).toBe('Int32');
    expect(d.i32.value).toBe(5);
    expect(d.dbl._bsontype).toBe('Double');
    expect(d.dbl.value).toBe(1);
    expect(d.dblFrac._bsontype).toBe('Double');
    expect(d.small._bsontype).toBe('Long');
    expect(d.small.toNumber()).toBe(7);
    expect(d.big._bsontype).toBe('Long');
    expect(d.big.toString()).toBe('9007199254740993');
    expect(d.dec._bsontype).toBe('Decimal128');
    // Decimal128 preserves trailing zeros (it is not normalised)
    expect(d.dec.toString()).toBe('1.10');
    expect(d.decBig.toString()).toBe('12345678901234567890.123456789');
  });

  // manual: reference/bson-types#long — 64-bit integers above 2^53 round-trip exactly (read as bigint)
  it('Long above 2^53 round-trips exactly as bigint', async () => {
    const d = (await coll.findOne({ _id: 1 as any }, { useBigInt64: true }))!;
    expect(d.big).toBe(9007199254740993n);
  });

  // manual: reference/bson-types — Date, ObjectId, Binary (subtypes 0 and 4), null, nested documents, Timestamp, regex
  it('Date, ObjectId, Binary, UUID, null, nested docs, Timestamp, regex, boolean', async () => {
    const d = (await coll.findOne({ _id: 1 as any }, raw))!;
    expect(d.when).toBeInstanceOf(Date);
    expect(d.when.getTime()).toBe(when.getTime());
    expect(d.oid).toBeInstanceOf(ObjectId);
    expect(d.oid.equals(oid)).toBe(true);
    expect(d.bin._bsontype).toBe('Binary');
    expect(d.bin.sub_type).toBe(0);
    expect(Buffer.from(d.bin.buffer)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(d.uuid.sub_type).toBe(4);
    expect(Buffer.from(d.uuid.buffer).toString('hex')).toBe('0f8fad5bd9cb469fa16570867728950e');
    expect('nil' in d).toBe(true);
    expect(d.nil).toBeNull();
    expect(d.nested.a.b[0]._bsontype).toBe('Int32');
    expect(d.nested.a.b[1]).toEqual({ c: 'x' });
    expect(d.ts._bsontype).toBe('Timestamp');
    expect(d.ts.t).toBe(1700000000);
    expect(d.ts.i).toBe(3);
    expect(d.bool).toBe(true);
    const dr = (await coll.findOne({ _id: 1 as any }, { bsonRegExp: true }))!;
    expect(dr.re._bsontype).toBe('BSONRegExp');
    expect(dr.re.pattern).toBe('^ab');
    expect(dr.re.options).toBe('i');
  });

  // manual: reference/operator/query/type — the server itself knows each field's BSON type
  it('$type sees the stored BSON types', async () => {
    const has = async (field: string, type: string) => (await coll.countDocuments({ _id: 1 as any, [field]: { $type: type } })) === 1;
    expect(await has('i32', 'int')).toBe(true);
    expect(await has('i32', 'double')).toBe(false);
    expect(await has('dbl', 'double')).toBe(true);
    expect(await has('dbl', 'int')).toBe(false);
    expect(await has('big', 'long')).toBe(true);
    expect(await has('small', 'long')).toBe(true);
    expect(await has('dec', 'decimal')).toBe(true);
    expect(await has('when', 'date')).toBe(true);
    expect(await has('oid', 'objectId')).toBe(true);
    expect(await has('bin', 'binData')).toBe(true);
    expect(await has('nil', 'null')).toBe(true);
    expect(await has('nested', 'object')).toBe(true);
    expect(await has('ts', 'timestamp')).toBe(true);
    expect(await has('re', 'regex')).toBe(true);
    expect(await has('bool', 'bool')).toBe(true);
  });

  // manual: reference/operator/update/mul#multiply-mixed-numeric-types — Int32*Int32 -> Int32, Int32*Double -> Double,
  // Long*Int32 -> Long. The same arithmetic applies to $inc (reference/operator/update/inc), checked on a Long above 2^53.
  it('$mul / $inc keep or promote numeric types as documented', async () => {
    const c = db.collection(freshName('arith'));
    await c.insertOne({ _id: 1 as any, a: new Int32(1), b: new Int32(3), l: Long.fromString('9007199254740993'), k: Long.fromString('9007199254740993') });
    await c.updateOne({ _id: 1 as any }, { $mul: { a: new Int32(3), b: new Double(0.5), l: new Int32(2) }, $inc: { k: new Int32(1) } });
    const d = (await c.findOne({ _id: 1 as any }, raw))!;
    expect(d.a._bsontype).toBe('Int32');
    expect(d.a.value).toBe(3);
    expect(d.b._bsontype).toBe('Double');
    expect(d.b.value).toBe(1.5);
    expect(d.l._bsontype).toBe('Long');
    expect(d.l.toString()).toBe('18014398509481986');
    expect(d.k._bsontype).toBe('Long');
    expect(d.k.toString()).toBe('9007199254740994');
  });
});

describe('numeric comparison across types', () => {
  // manual: reference/bson-type-comparison-order#numeric-types — "MongoDB treats some types as equivalent for
  // comparison purposes. For instance, numeric types undergo conversion before comparison."
  it('{ a: 5 } matches Int32 5, Double 5.0, Long 5 and Decimal128 5', async () => {
    const c = db.collection(freshName('num'));
    await c.insertMany([
      { _id: 'i', a: new Int32(5) },
      { _id: 'd', a: new Double(5) },
      { _id: 'l', a: Long.fromNumber(5) },
      { _id: 'm', a: Decimal128.fromString('5.0') },
      { _id: 's', a: '5' },
      { _id: 'x', a: new Double(5.5) },
    ] as any[]);
    const ids = async (f: Document) => (await c.find(f).toArray()).map((x) => x._id).sort();
    expect(await ids({ a: 5 })).toEqual(['d', 'i', 'l', 'm']);
    expect(await ids({ a: Long.fromNumber(5) })).toEqual(['d', 'i', 'l', 'm']);
    expect(await ids({ a: Decimal128.fromString('5') })).toEqual(['d', 'i', 'l', 'm']);
    expect(await ids({ a: { $in: [new Double(5)] } })).toEqual(['d', 'i', 'l', 'm']);
  });

  // manual: reference/bson-type-comparison-order — numbers compare by value whatever their type
  it("Decimal128 '10' > Int32 9; Long 2^53+1 > Double 2^53", async () => {
    const c = db.collection(freshName('num'));
    await c.insertMany([
      { _id: 'dec10', v: Decimal128.fromString('10') },
      { _id: 'i9', v: new Int32(9) },
      { _id: 'd95', v: new Double(9.5) },
      { _id: 'l8', v: Long.fromNumber(8) },
      { _id: 'dec2', v: Decimal128.fromString('2') },
    ] as any[]);
    const ids = async (f: Document) => (await c.find(f).toArray()).map((x) => x._id).sort();
    expect(await ids({ v: { $gt: new Int32(9) } })).toEqual(['d95', 'dec10']);
    expect(await ids({ v: { $lt: Decimal128.fromString('9') } })).toEqual(['dec2', 'l8']);
    expect(await ids({ v: { $gte: Long.fromNumber(9), $lte: new Double(9.5) } })).toEqual(['d95', 'i9']);

    const c2 = db.collection(freshName('num'));
    await c2.insertMany([
      { _id: 'long', v: Long.fromString('9007199254740993') },
      { _id: 'dbl', v: new Double(9007199254740992) },
    ] as any[]);
    expect((await c2.find({ v: { $gt: new Double(9007199254740992) } }).toArray()).map((x) => x._id)).toEqual(['long']);
    expect((await c2.find({ v: Long.fromString('9007199254740993') }).toArray()).map((x) => x._id)).toEqual(['long']);
    expect((await c2.find({ v: Long.fromString('9007199254740992') }).toArray()).map((x) => x._id)).toEqual(['dbl']);
    expect((await c2.find().sort({ v: -1 }).toArray()).map((x) => x._id)).toEqual(['long', 'dbl']);
  });

  // manual: reference/bson-type-comparison-order — sort orders numbers by value across Int32/Long/Double/Decimal128
  it('mixed numeric types sort by value', async () => {
    const c = db.collection(freshName('num'));
    await c.insertMany([
      { _id: 1, v: new Int32(3) },
      { _id: 2, v: Long.fromNumber(1) },
      { _id: 3, v: new Double(2.5) },
      { _id: 4, v: Decimal128.fromString('2.75') },
      { _id: 5, v: Decimal128.fromString('10') },
      { _id: 6, v: new Double(-0.5) },
      { _id: 7, v: Long.fromNumber(20) },
    ] as any[]);
    expect((await c.find().sort({ v: 1 }).toArray()).map((x) => x._id)).toEqual([6, 2, 3, 4, 1, 5, 7]);
    expect((await c.find().sort({ v: -1 }).toArray()).map((x) => x._id)).toEqual([7, 5, 1, 4, 3, 2, 6]);
  });

  // manual: reference/method/db.collection.find#type-bracketing — comparison operators only match the same type bracket
  it('type bracketing: $gt on a number does not match strings or dates', async () => {
    const c = db.collection(freshName('num'));
    await c.insertMany([
      { _id: 'n', v: 7 },
      { _id: 's', v: '9' },
      { _id: 'd', v: new Date('2001-01-01T00:00:00Z') },
      { _id: 'z', v: null },
    ] as any[]);
    expect((await c.find({ v: { $gt: 0 } }).toArray()).map((x) => x._id)).toEqual(['n']);
    expect((await c.find({ v: { $gt: '' } }).toArray()).map((x) => x._id)).toEqual(['s']);
    expect((await c.find({ v: { $lt: new Date() } }).toArray()).map((x) => x._id)).toEqual(['d']);
  });
});

describe('BSON comparison/sort order', () => {
  // manual: reference/bson-type-comparison-order — "MinKey < Null < Numbers < Symbol, String < Object < Array <
  // BinData < ObjectId < Boolean < Date < Timestamp < Regular Expression < MaxKey"
  it('sorts values of different types in BSON order', async () => {
    const c = db.collection(freshName('order'));
    const values: [string, unknown][] = [
      ['minkey', new MinKey()],
      ['null', null],
      ['int', new Int32(1)],
      ['double', new Double(2.5)],
      ['string', 'abc'],
      ['object', { a: 1 }],
      ['bindata', new Binary(Buffer.from([1]))],
      ['objectid', new ObjectId('000000000000000000000001')],
      ['false', false],
      ['true', true],
      ['date', new Date('2000-01-01T00:00:00Z')],
      ['timestamp', new Timestamp({ t: 1, i: 1 })],
      ['regex', new BSONRegExp('x', '')],
      ['maxkey', new MaxKey()],
    ];
    // insert in reverse-rotated order so neither insertion nor _id order gives the answer
    const shuffled = [...values.slice(7), ...values.slice(0, 7)].reverse();
    await c.insertMany(shuffled.map(([k, v]) => ({ _id: `${k}`, v })) as any[]);
    const asc = (await c.find().sort({ v: 1 }).toArray()).map((x) => x._id);
    expect(asc).toEqual(values.map(([k]) => k));
    const desc = (await c.find().sort({ v: -1 }).toArray()).map((x) => x._id);
    expect(desc).toEqual(values.map(([k]) => k).reverse());
  });

  // manual: reference/bson-type-comparison-order#arrays — "an ascending sort compares the smallest elements of the
  // arrays, and ... a descending sort compares the largest elements"
  it('arrays sort by their smallest element ascending and largest descending', async () => {
    const c = db.collection(freshName('order'));
    await c.insertMany([
      { _id: 'a51', v: [5, 1] },
      { _id: 'a3', v: [3] },
      { _id: 'n2', v: 2 },
      { _id: 'n4', v: 4 },
    ] as any[]);
    expect((await c.find().sort({ v: 1 }).toArray()).map((x) => x._id)).toEqual(['a51', 'n2', 'a3', 'n4']);
    expect((await c.find().sort({ v: -1 }).toArray()).map((x) => x._id)).toEqual(['a51', 'n4', 'a3', 'n2']);
  });

  // manual: reference/bson-type-comparison-order#strings — simple binary comparison: uppercase before lowercase
  it('strings compare bytewise (simple collation)', async () => {
    const c = db.collection(freshName('order'));
    await c.insertMany(['b', 'B', 'a', 'A', 'ab', 'é'].map((v) => ({ v })));
    expect((await c.find({}, { projection: { _id: 0 } }).sort({ v: 1 }).toArray()).map((x) => x.v)).toEqual(['A', 'B', 'a', 'ab', 'b', 'é']);
  });

  // manual: reference/bson-type-comparison-order#dates-and-timestamps / #objectid — chronological and bytewise
  it('Dates sort chronologically and ObjectIds bytewise', async () => {
    const c = db.collection(freshName('order'));
    await c.insertMany([
      { _id: 1, d: new Date('2020-01-01T00:00:00Z'), o: new ObjectId('65a000000000000000000002') },
      { _id: 2, d: new Date('1969-12-31T00:00:00Z'), o: new ObjectId('65a000000000000000000010') },
      { _id: 3, d: new Date('2030-06-01T00:00:00Z'), o: new ObjectId('0a0000000000000000000000') },
    ] as any[]);
    expect((await c.find().sort({ d: 1 }).toArray()).map((x) => x._id)).toEqual([2, 1, 3]);
    expect((await c.find().sort({ o: 1 }).toArray()).map((x) => x._id)).toEqual([3, 1, 2]);
  });
});
