/**
 * The data directory's lock. What the directory holds (checkpoint, journal, and the snapshot
 * files of the format before the journal) is in durability.ts, journal.ts and checkpoint.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const LOCK_FILE = 'wire-server.lock';
/** Data directories this process holds (a second server in the same process is refused too). */
const heldDirs = new Set<string>();

/**
 * Takes the data directory for this process, as mongod's `mongod.lock` does: two servers on one
 * directory would overwrite each other's snapshots. The lock file is created exclusively. A lock
 * whose process no longer runs is stale: it is claimed by renaming it away (only one contender's
 * rename can succeed) and the loop tries again. Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const dir = fs.realpathSync(dataDir);
  const file = path.join(dir, LOCK_FILE);
  if (heldDirs.has(dir)) throw new Error(`data directory ${dataDir} is in use by process ${process.pid}, this one (${file})`);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      heldDirs.add(dir);
      return () => {
        heldDirs.delete(dir);
        fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = readOwner(file);
    if (owner === undefined) continue; // released meanwhile: try again
    if (owner !== process.pid && isRunning(owner)) {
      throw new Error(`data directory ${dataDir} is in use by process ${owner} (${file})`);
    }
    const claimed = `${file}.stale-${process.pid}-${attempt}`;
    try {
      fs.renameSync(file, claimed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // another contender claimed it
      throw e;
    }
    // Between reading the owner and the rename, a live process may have taken the lock; give it back.
    const renamedOwner = readOwner(claimed);
    if (renamedOwner !== undefined && renamedOwner !== owner && isRunning(renamedOwner)) {
      fs.renameSync(claimed, file);
      throw new Error(`data directory ${dataDir} is in use by process ${renamedOwner} (${file})`);
    }
    fs.rmSync(claimed, { force: true });
  }
  throw new Error(`could not lock data directory ${dataDir} (${file})`);
}

function readOwner(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
