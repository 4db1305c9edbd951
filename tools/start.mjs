// `npm start`: builds what changed since the last build, then runs the service in this process.
// The wire server package (packages/mongo-wire-server/dist) and the service (dist/src/main.js) are
// each rebuilt when a file it is compiled from is newer than its build, the dashboard
// (dashboard/dist) likewise; a start with nothing changed goes straight to the service
// (about 1.5 s instead of the 26 s of building everything each time). Plain JavaScript, so it
// needs no build of its own.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// What the dependencies declare and CI runs on (README, Quick start); older still starts.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.warn(`Node ${process.versions.node} is older than the supported Node 22.18 (see README, Quick start); starting anyway.`);
}
const at = (...parts) => join(root, ...parts);

const WIRE = 'packages/mongo-wire-server';
const targets = [
  {
    // The service imports it by name (node_modules links to the folder), as compiled JS: tsc -b
    // rewrites its build info on every build that does anything, hence the output looked at.
    name: 'the wire server package',
    output: at(WIRE, 'dist', '.tsbuildinfo'),
    inputs: [`${WIRE}/src`, `${WIRE}/package.json`, `${WIRE}/tsconfig.json`],
    build: ['npx', ['tsc', '-b', WIRE]],
  },
  {
    // The package's sources too: the service is type-checked against its API.
    name: 'the service',
    output: at('dist', 'src', 'main.js'),
    inputs: ['src', 'tools', `${WIRE}/src`, 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package-lock.json'],
    build: ['npx', ['nest', 'build']],
  },
  {
    name: 'the dashboard',
    output: at('dashboard', 'dist', 'index.html'),
    inputs: ['dashboard/src', 'dashboard/index.html', 'dashboard/vite.config.ts', 'dashboard/tsconfig.json', 'openapi/client', 'package-lock.json'],
    build: ['npm', ['run', 'build:dashboard']],
  },
];

/** The newest modification time under `path` (a file or a folder), and which file has it. */
function newest(path) {
  if (!existsSync(path)) return { time: 0 };
  const stat = statSync(path);
  if (!stat.isDirectory()) return { time: stat.mtimeMs, file: path };
  let best = { time: 0 };
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const found = newest(join(path, entry));
    if (found.time > best.time) best = found;
  }
  return best;
}

for (const target of targets) {
  const built = existsSync(target.output) ? statSync(target.output).mtimeMs : 0;
  const changed = target.inputs.map((input) => newest(at(input))).reduce((a, b) => (b.time > a.time ? b : a), { time: 0 });
  if (built > 0 && changed.time <= built) continue;
  console.error(built === 0 ? `Building ${target.name} (no build yet)` : `Building ${target.name} (${relative(root, changed.file)} changed)`);
  const [command, args] = target.build;
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`Building ${target.name} failed`);
    process.exit(result.status ?? 1);
  }
}

await import(pathToFileURL(at('dist', 'src', 'main.js')).href);
