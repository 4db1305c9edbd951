import { after as afterAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './utils/paths.js';

/**
 * The rules of .dependency-cruiser.cjs (`npm run lint:deps`) fail on what they are meant to catch:
 * each case cruises a tiny project of its own (src/, and test/ and tools/ when it has them), written
 * to a temporary folder, with the repository's configuration, and expects a non-zero exit naming the
 * rule and the files or folders.
 */
const CONFIG = join(REPO_ROOT, '.dependency-cruiser.cjs');
const CRUISER = join(REPO_ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const run = promisify(execFile);
/** The folders `npm run lint:deps` cruises, read from package.json so the two cannot drift. */
const LINTED = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['lint:deps']
  .replace(/^depcruise\s+/, '')
  .split(/\s+/);
const TSCONFIG = JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2022', strict: true } });

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** Cruises `files` (path under the fixture's root: source) with our rules; the exit code and output. */
async function cruise(files: Record<string, string>): Promise<{ code: number; output: string }> {
  const root = mkdtempSync(join(tmpdir(), 'dep-rules-'));
  roots.push(root);
  writeFileSync(join(root, 'tsconfig.json'), TSCONFIG);
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), source);
  }
  try {
    const roots = LINTED.filter((folder) => existsSync(join(root, folder)));
    const { stdout, stderr } = await run(process.execPath, [CRUISER, ...roots, '--config', CONFIG, '--output-type', 'err'], { cwd: root });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('dependency rules (.dependency-cruiser.cjs)', () => {
  it('fails on two folders that import each other, through type-only imports too, and names them', async () => {
    const { code, output } = await cruise({
      'src/orders/order.service.ts': "import { Invoice } from '../billing/invoice.service.js';\nexport class Order { invoice?: Invoice }\n",
      'src/billing/invoice.service.ts': "import type { Order } from '../orders/order.service.js';\nexport class Invoice { order?: Order }\n",
    });
    expect(code).not.toBe(0);
    expect(output).toContain('no-folder-cycles');
    expect(output).toMatch(/src\/orders →\s+src\/billing →\s+src\/orders/);
  });

  it('fails on a folder cycle around three folders', async () => {
    const { code, output } = await cruise({
      'src/a/a.service.ts': "import { b } from '../b/b.service.js';\nexport const a = () => b;\n",
      'src/b/b.service.ts': "import { c } from '../c/c.service.js';\nexport const b = () => c;\n",
      'src/c/c.service.ts': "import { a } from '../a/a.service.js';\nexport const c = () => a;\n",
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/no-folder-cycles: src\/a →\s+src\/b →\s+src\/c →\s+src\/a/);
  });

  it('fails on files that import each other within a folder', async () => {
    const { code, output } = await cruise({
      'src/orders/order.service.ts': "import { line } from './order-line.js';\nexport const order = () => line;\n",
      'src/orders/order-line.ts': "import { order } from './order.service.js';\nexport const line = () => order;\n",
    });
    expect(code).not.toBe(0);
    expect(output).toContain('no-file-cycles');
    expect(output).toContain('src/orders/order-line.ts');
  });

  it("fails on a feature reaching into another feature's file it does not export", async () => {
    const { code, output } = await cruise({
      'src/orders/order.service.ts': "import { price } from '../billing/price-table.js';\nexport const order = () => price;\n",
      'src/billing/price-table.ts': 'export const price = 1;\n',
    });
    expect(code).not.toBe(0);
    expect(output).toContain('no-reaching-into-features: src/orders/order.service.ts → src/billing/price-table.ts');
  });

  it('fails on a feature or a shared folder importing a read-side, even what the read-side exports', async () => {
    const { code, output } = await cruise({
      'src/orders/order.service.ts': "import { summary } from '../monitoring/monitoring.service.js';\nexport const order = () => summary;\n",
      'src/common/money.ts': "import type { Summary } from '../timeline/timeline.dto.js';\nexport type Money = Summary;\n",
      'src/monitoring/monitoring.service.ts': 'export const summary = 1;\n',
      'src/timeline/timeline.dto.ts': 'export type Summary = number;\n',
    });
    expect(code).not.toBe(0);
    expect(output).toContain('no-importing-read-sides: src/orders/order.service.ts → src/monitoring/monitoring.service.ts');
    expect(output).toContain('no-importing-read-sides: src/common/money.ts → src/timeline/timeline.dto.ts');
  });

  it('passes a read-side that imports a feature and another read-side, one way', async () => {
    const { code, output } = await cruise({
      'src/monitoring/monitoring.service.ts': "import { order } from '../orders/order.service.js';\nexport const summary = () => order;\n",
      'src/alerts/alerts.service.ts': "import { summary } from '../monitoring/monitoring.service.js';\nexport const alert = () => summary;\n",
      'src/orders/order.service.ts': 'export const order = 1;\n',
    });
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('no dependency violations found') });
  });

  it("passes a feature that imports another's service and a shared folder's file, one way", async () => {
    const { code, output } = await cruise({
      'src/orders/order.service.ts': "import { invoice } from '../billing/invoice.service.js';\nimport { money } from '../common/money.js';\nexport const order = () => [invoice, money];\n",
      'src/billing/invoice.service.ts': "import { money } from '../common/money.js';\nexport const invoice = () => money;\n",
      'src/common/money.ts': 'export const money = 1;\n',
    });
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('no dependency violations found') });
  });

  it('cruises src/, test/ and tools/', () => {
    expect(LINTED).toEqual(['src', 'test', 'tools']);
  });

  it('fails on files of test/ or tools/ that import each other in a circle', async () => {
    const { code, output } = await cruise({
      'src/orders/order.service.ts': 'export const order = 1;\n',
      'test/utils/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'test/utils/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    expect(code).not.toBe(0);
    expect(output).toContain('no-file-cycles');
    expect(output).toContain('test/utils/a.ts');
  });

  it('fails on the service importing a test helper or a tool', async () => {
    const { code, output } = await cruise({
      'src/orders/order.service.ts': "import { clock } from '../../test/utils/clock.js';\nimport { bench } from '../../tools/bench.js';\nexport const order = () => [clock, bench];\n",
      'test/utils/clock.ts': 'export const clock = 1;\n',
      'tools/bench.ts': 'export const bench = 1;\n',
    });
    expect(code).not.toBe(0);
    expect(output).toContain('src-imports-no-tests-or-tools: src/orders/order.service.ts → test/utils/clock.ts');
    expect(output).toContain('src-imports-no-tests-or-tools: src/orders/order.service.ts → tools/bench.ts');
  });

  it('fails on the service importing a package that dependencies do not list (dev-only or not at all), and lets a spec import it', async () => {
    const pkg = (name: string) => ({
      [`node_modules/${name}/package.json`]: JSON.stringify({ name, version: '1.0.0', main: 'index.js' }),
      [`node_modules/${name}/index.js`]: 'module.exports = 1;\n',
    });
    const { code, output } = await cruise({
      'package.json': JSON.stringify({ name: 'fixture', dependencies: { 'prod-pkg': '1.0.0' }, devDependencies: { 'dev-pkg': '1.0.0' } }),
      ...pkg('dev-pkg'),
      ...pkg('prod-pkg'),
      ...pkg('transitive-pkg'),
      'src/orders/order.service.ts': "import dev from 'dev-pkg';\nimport prod from 'prod-pkg';\nimport hoisted from 'transitive-pkg';\nexport const order = () => [dev, prod, hoisted];\n",
      'src/orders/order.service.spec.ts': "import dev from 'dev-pkg';\nexport const spec = dev;\n",
    });
    expect(code).not.toBe(0);
    expect(output).toContain('src-uses-declared-dependencies: src/orders/order.service.ts → node_modules/dev-pkg/index.js');
    expect(output).toContain('src-uses-declared-dependencies: src/orders/order.service.ts → node_modules/transitive-pkg/index.js');
    expect(output).not.toContain('prod-pkg');
    expect(output).not.toContain('order.service.spec.ts');
  });

  it('fails on a tool importing a test file, and on a test helper importing a spec', async () => {
    const { code, output } = await cruise({
      'src/orders/order.service.ts': 'export const order = 1;\n',
      'tools/bench.ts': "import { kit } from '../test/utils/kit.js';\nexport const bench = kit;\n",
      'test/utils/kit.ts': "import { shared } from '../orders.e2e-spec.js';\nexport const kit = shared;\n",
      'test/orders.e2e-spec.ts': 'export const shared = 1;\n',
    });
    expect(code).not.toBe(0);
    expect(output).toContain('tools-import-no-tests: tools/bench.ts → test/utils/kit.ts');
    expect(output).toContain('test-helpers-import-no-specs: test/utils/kit.ts → test/orders.e2e-spec.ts');
  });
});
