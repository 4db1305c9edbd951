/**
 * `npm run bench:bulk-generate`: POST /api/videos/bulk-generate for 10, 100 and 1,000 products
 * on the wire-protocol server, with a local RCK, printing ms per product and the database
 * commands each request issued (counted with the driver's command monitoring). The command count
 * must not grow with the batch; the time per product is compared with the 10-product batch of
 * the same run, since these machines are shared and noisy.
 */
import 'reflect-metadata';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getConnectionToken } from '@nestjs/mongoose';
import { Connection, Types } from 'mongoose';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { configureApp, createAppParts } from '../../src/app.factory.js';
import { AppModule } from '../../src/app.module.js';
import { loadConfig } from '../../src/app.config.js';
import { Product } from '../../src/products/product.schema.js';
import { startMongoWireServer } from '@videogen/mongo-wire-server';
import { FakeRck } from '../utils/fake-rck.js';
import { Factories } from '../utils/factories.js';
import { TEST_SECRETS } from '../utils/test-app.js';

const SIZES = [10, 100, 1000];
const RUNS = 3;

async function main(): Promise<void> {
  const server = await startMongoWireServer();
  const rck = await FakeRck.start();
  const config = loadConfig({
    NODE_ENV: 'test', LOG_LEVEL: 'silent', ...TEST_SECRETS,
    RCK_DESCRIPTION_SERVER_URL: rck.url, BULK_GENERATE_MAX_PRODUCTS: '1000', JOBS_PROCESS_EVERY_MS: '60000',
  });
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot({ config, mongodbUri: `${server.uri}bench?monitorCommands=true` })],
  }).compile();
  const { adapter, options } = createAppParts(config);
  const app = configureApp(moduleRef.createNestApplication<NestFastifyApplication>(adapter, options));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const connection = app.get<Connection>(getConnectionToken());

  const commands: string[] = [];
  let counting = false;
  connection.getClient().on('commandStarted', (event) => {
    // The job runner polls its own collection on a timer; that is not the request's work.
    const collection = String(event.commandName === 'getMore' ? event.command.collection : event.command[event.commandName]);
    if (counting && collection !== 'agendaJobs') commands.push(`${event.commandName} ${collection}`);
  });

  const given = new Factories(app);
  const workspace = await given.workspace({ monthlyVideoLimit: 1_000_000 });
  const { token } = await given.loggedIn({ workspaceId: workspace.id });
  const http = request(app.getHttpServer());

  console.log(`bulk-generate on the wire-protocol server, RCK_BATCH_SIZE=${config.videos.rckBatchSize}, best of ${RUNS} runs`);
  console.log('products | ms/request | ms/product | vs 10-product batch | db commands/request | RCK requests');
  let baselinePerProduct = 0;
  for (const size of SIZES) {
    let best = Infinity;
    let commandCount = 0;
    let rckRequests = 0;
    for (let run = 0; run < RUNS + 1; run++) {
      const ids = await seedProducts(connection, workspace.id, size);
      rck.reset();
      commands.length = 0;
      counting = true;
      const started = performance.now();
      const response = await http.post('/api/videos/bulk-generate').set('Authorization', `Bearer ${token}`)
        .send({ productIds: ids, templateId: 'bench', templateName: 'Bench' });
      const elapsed = performance.now() - started;
      counting = false;
      if (response.status !== 201) throw new Error(`bulk-generate answered ${response.status}: ${JSON.stringify(response.body)}`);
      if (run === 0) continue; // warm-up
      best = Math.min(best, elapsed);
      commandCount = commands.length;
      rckRequests = rck.requests.length;
    }
    const perProduct = best / size;
    if (size === SIZES[0]) baselinePerProduct = perProduct;
    console.log(
      `${String(size).padStart(8)} | ${best.toFixed(1).padStart(10)} | ${perProduct.toFixed(3).padStart(10)} | ` +
        `${(perProduct / baselinePerProduct).toFixed(2).padStart(18)}x | ${String(commandCount).padStart(19)} | ${String(rckRequests).padStart(12)}`,
    );
    console.log(`         commands: ${summarise(commands)}`);
  }
  await app.close();
  await rck.stop();
  await server.stop();
}

/** `count` products inserted directly (one insertMany): the benchmark measures bulk-generate, not seeding. */
async function seedProducts(connection: Connection, workspaceId: string, count: number): Promise<string[]> {
  const docs = Array.from({ length: count }, (_, i) => ({
    _id: new Types.ObjectId(),
    workspaceId: new Types.ObjectId(workspaceId),
    title: `Bench product ${i}`,
    sku: `BENCH-${new Types.ObjectId().toHexString()}`,
    imageUrls: ['https://example.com/1.jpg'],
    videos: [],
  }));
  await connection.model(Product.name).insertMany(docs);
  return docs.map((doc) => doc._id.toHexString());
}

function summarise(commands: string[]): string {
  const counts = new Map<string, number>();
  for (const command of commands) counts.set(command, (counts.get(command) ?? 0) + 1);
  return [...counts].map(([command, n]) => `${command}×${n}`).join(', ');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
