/**
 * The same server driven through Mongoose 9, the way the application uses it.
 * Expected behaviour: MongoDB manual pages named per test (Mongoose only translates to the commands covered there).
 */
import { after as afterAll, before as beforeAll, beforeEach, describe, it, openSuite, type Suite } from './harness.js';
import { expect } from 'expect';
import mongoose, { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';

let s: Suite;
let conn: Connection;

const videoSchema = new Schema(
  {
    videoId: { type: String, required: true },
    status: { type: String, default: 'pending' },
    videoUrl: String,
  },
  { _id: false },
);

const userSchema = new Schema(
  {
    email: { type: String, required: true, unique: true },
    name: String,
    credits: { type: Number, default: 0 },
    videos: { type: [videoSchema], default: [] },
  },
  { timestamps: true },
);
type User = InferSchemaType<typeof userSchema>;

let UserModel: Model<User>;

beforeAll(async () => {
  s = await openSuite(import.meta.filename);
  conn = await mongoose.createConnection(s.target.uri, { dbName: s.dbName, serverSelectionTimeoutMS: 5000 }).asPromise();
  UserModel = conn.model<User>('User', userSchema, 'users');
  // manual: reference/method/db.collection.createIndex — Model.init() creates the collection and the schema's indexes
  await UserModel.init();
});
afterAll(async () => {
  await conn?.close();
  await s?.teardown();
});

beforeEach(async () => {
  await UserModel.deleteMany({});
});

describe('Mongoose', () => {
  // manual: reference/command/listIndexes — Model.init() built a unique index on email
  it('Model.init() builds the unique index from the schema', async () => {
    const indexes = await UserModel.listIndexes();
    const email = indexes.find((i: any) => i.name === 'email_1');
    expect(email).toMatchObject({ key: { email: 1 }, unique: true });
    // init is idempotent (createCollection answers NamespaceExists, which Mongoose tolerates; createIndex is a no-op)
    await UserModel.init();
    await expect(UserModel.syncIndexes()).resolves.toEqual([]);
  });

  // manual: reference/method/db.collection.insertOne — create; timestamps are plain Date fields set by Mongoose
  it('create sets _id and timestamps; find with lean returns plain objects', async () => {
    const doc = await UserModel.create({ email: 'a@x', name: 'A', videos: [{ videoId: 'v1' }] });
    expect(doc._id).toBeInstanceOf(mongoose.Types.ObjectId);
    expect(doc.createdAt).toBeInstanceOf(Date);
    expect(doc.updatedAt).toBeInstanceOf(Date);
    const found = await UserModel.find({ email: 'a@x' }).lean();
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ email: 'a@x', name: 'A', credits: 0, videos: [{ videoId: 'v1', status: 'pending' }] });
    expect(found[0]._id.equals(doc._id)).toBe(true);
    expect(found[0].createdAt.getTime()).toBe(doc.createdAt.getTime());
    expect(found[0]).not.toHaveProperty('save');
  });

  // manual: reference/method/db.collection.findOneAndUpdate — returnDocument "after" (Mongoose's `new: true`)
  it('findOneAndUpdate with new: true returns the updated document and bumps updatedAt', async () => {
    const doc = await UserModel.create({ email: 'b@x', name: 'B' });
    await new Promise((r) => setTimeout(r, 5));
    const updated = await UserModel.findOneAndUpdate({ email: 'b@x' }, { $inc: { credits: 5 }, name: 'B2' }, { new: true }).lean();
    expect(updated).toMatchObject({ email: 'b@x', name: 'B2', credits: 5 });
    expect(updated!.updatedAt.getTime()).toBeGreaterThan(doc.updatedAt.getTime());
    expect(updated!.createdAt.getTime()).toBe(doc.createdAt.getTime());
    const viaReturnDocument = await UserModel.findOneAndUpdate({ email: 'b@x' }, { $inc: { credits: 1 } }, { returnDocument: 'after' }).lean();
    expect(viaReturnDocument!.credits).toBe(6);
  });

  // manual: reference/operator/update/setOnInsert — Mongoose's upsert puts createdAt in $setOnInsert
  it('upsert through findOneAndUpdate seeds email from the filter and sets createdAt once', async () => {
    const first = await UserModel.findOneAndUpdate({ email: 'u@x' }, { $set: { name: 'U' } }, { upsert: true, returnDocument: 'after' }).lean();
    expect(first).toMatchObject({ email: 'u@x', name: 'U', credits: 0 });
    expect(first!.createdAt).toBeInstanceOf(Date);
    await new Promise((r) => setTimeout(r, 5));
    const second = await UserModel.findOneAndUpdate({ email: 'u@x' }, { $set: { name: 'U2' } }, { upsert: true, returnDocument: 'after' }).lean();
    expect(second!._id.equals(first!._id)).toBe(true);
    expect(second!.createdAt.getTime()).toBe(first!.createdAt.getTime());
    expect(await UserModel.countDocuments({ email: 'u@x' })).toBe(1);
  });

  // manual: reference/operator/update/positional — two paths into the matched subdocument
  it('positional update on the subdocument array', async () => {
    await UserModel.create({ email: 'p@x', videos: [{ videoId: 'v1' }, { videoId: 'v2' }, { videoId: 'v3' }] });
    const res = await UserModel.updateOne({ email: 'p@x', 'videos.videoId': 'v2' }, { $set: { 'videos.$.status': 'completed', 'videos.$.videoUrl': 'https://cdn/v2.mp4' } });
    expect(res.matchedCount).toBe(1);
    expect(res.modifiedCount).toBe(1);
    const doc = await UserModel.findOne({ email: 'p@x' }).lean();
    expect(doc!.videos).toEqual([
      { videoId: 'v1', status: 'pending' },
      { videoId: 'v2', status: 'completed', videoUrl: 'https://cdn/v2.mp4' },
      { videoId: 'v3', status: 'pending' },
    ]);
  });

  // manual: reference/operator/update/positional-filtered — arrayFilters through Mongoose
  it('arrayFilters update through Mongoose', async () => {
    await UserModel.create({ email: 'f@x', videos: [{ videoId: 'v1' }, { videoId: 'v2', status: 'failed' }] });
    await UserModel.updateOne({ email: 'f@x' }, { $set: { 'videos.$[v].status': 'retrying' } }, { arrayFilters: [{ 'v.status': 'failed' }] });
    const doc = await UserModel.findOne({ email: 'f@x' }).lean();
    expect(doc!.videos.map((v) => v.status)).toEqual(['pending', 'retrying']);
  });

  // manual: reference/method/db.collection.countDocuments
  it('countDocuments and estimatedDocumentCount', async () => {
    await UserModel.create([{ email: '1@x', credits: 1 }, { email: '2@x', credits: 2 }, { email: '3@x', credits: 3 }]);
    expect(await UserModel.countDocuments()).toBe(3);
    expect(await UserModel.countDocuments({ credits: { $gte: 2 } })).toBe(2);
    expect(await UserModel.estimatedDocumentCount()).toBe(3);
  });

  // manual: reference/method/db.collection.insertMany#unordered-inserts — the rest are inserted, error code 11000
  it('insertMany with ordered: false inserts all but the duplicate and reports 11000', async () => {
    await UserModel.create({ email: 'dup@x' });
    const err: any = await UserModel.insertMany([{ email: 'n1@x' }, { email: 'dup@x' }, { email: 'n2@x' }], { ordered: false }).then(
      () => null,
      (e) => e,
    );
    expect(err).not.toBeNull();
    expect(err.code).toBe(11000);
    expect(err.writeErrors).toHaveLength(1);
    expect(err.writeErrors[0].index).toBe(1);
    expect((await UserModel.find().sort({ email: 1 }).lean()).map((u) => u.email)).toEqual(['dup@x', 'n1@x', 'n2@x']);
  });

  // manual: reference/error-codes (11000 DuplicateKey) — what application code checks
  it('a duplicate create fails with code === 11000, keyValue and the E11000 message', async () => {
    await UserModel.create({ email: 'same@x' });
    const err: any = await UserModel.create({ email: 'same@x' }).then(
      () => null,
      (e) => e,
    );
    expect(err).not.toBeNull();
    expect(err.code).toBe(11000);
    expect(err.keyValue).toEqual({ email: 'same@x' });
    expect(err.message).toMatch(/E11000 duplicate key error collection: .*\.users index: email_1 dup key/);
  });

  // manual: reference/method/db.collection.aggregate — $match / $unwind / $group through Model.aggregate
  it('Model.aggregate', async () => {
    await UserModel.create([
      { email: 'g1@x', credits: 10, videos: [{ videoId: 'a', status: 'completed' }, { videoId: 'b' }] },
      { email: 'g2@x', credits: 5, videos: [{ videoId: 'c', status: 'completed' }] },
    ]);
    const out = await UserModel.aggregate<{ _id: string; n: number }>([
      { $unwind: '$videos' },
      { $group: { _id: '$videos.status', n: { $sum: 1 } } },
      { $sort: { _id: 1 } },
    ]);
    expect(out).toEqual([
      { _id: 'completed', n: 2 },
      { _id: 'pending', n: 1 },
    ]);
    const total = await UserModel.aggregate([{ $group: { _id: null, credits: { $sum: '$credits' } } }]);
    expect(total).toEqual([{ _id: null, credits: 15 }]);
  });

  // manual: reference/method/db.collection.deleteOne / updateMany — the Query API over the same commands
  it('document save(), updateMany and deleteOne round-trip', async () => {
    const doc = await UserModel.create({ email: 's@x', name: 'S' });
    doc.name = 'S2';
    doc.videos.push({ videoId: 'z' });
    await doc.save();
    const again = await UserModel.findById(doc._id).lean();
    expect(again).toMatchObject({ name: 'S2', videos: [{ videoId: 'z', status: 'pending' }] });
    const upd = await UserModel.updateMany({}, { $inc: { credits: 2 } });
    expect(upd.modifiedCount).toBe(1);
    const del = await UserModel.deleteOne({ _id: doc._id });
    expect(del.deletedCount).toBe(1);
    expect(await UserModel.findById(doc._id)).toBeNull();
  });
});
