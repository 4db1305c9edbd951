import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root, found from here whether this runs from test/ or compiled in dist-test/. */
function findRoot(start: string): string {
  for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${start}`);
}

export const REPO_ROOT = findRoot(import.meta.dirname);
