// Where a migration writes, and how the result appears: a hidden staging directory beside the
// target, renamed onto the target only once everything is written and verified. rename(2) within
// one directory is atomic, so a migration killed at any point leaves either no target or the whole
// of it (plus a hidden `.<name>.migrating-*` folder to delete).

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, realpath, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '../filelog/fs-util.js';
import { MigrationError } from './errors.js';

/** The absolute path with symlinks of its existing part resolved, so two spellings of one folder compare equal. */
export async function canonicalPath(dir: string): Promise<string> {
  const absolute = path.resolve(dir);
  const rest: string[] = [];
  for (let at = absolute; ; at = path.dirname(at)) {
    try {
      return path.join(await realpath(at), ...rest.reverse());
    } catch {
      if (path.dirname(at) === at) return absolute;
      rest.push(path.basename(at));
    }
  }
}

/** True when a and b are the same folder or one holds the other. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(b + path.sep) || b.startsWith(a + path.sep);
}

/** The entries of dir, or null when it does not exist. Throws when it exists and is not a folder. */
export async function listTarget(dir: string): Promise<string[] | null> {
  let st;
  try {
    st = await stat(dir);
  } catch {
    return null;
  }
  if (!st.isDirectory()) throw new MigrationError('ERR_MIGRATE_TARGET', `${dir} exists and is not a directory; choose another target`);
  return readdir(dir);
}

export interface StagingDir {
  readonly target: string;
  readonly dir: string;
}

/** Creates `.<target name>.migrating-<random>` beside the target (and the target's parent if missing). */
export async function createStagingDir(target: string): Promise<StagingDir> {
  const parent = path.dirname(target);
  await mkdir(parent, { recursive: true });
  const dir = path.join(parent, `.${path.basename(target)}.migrating-${randomBytes(4).toString('hex')}`);
  await mkdir(dir);
  return { target, dir };
}

/** Leftovers of interrupted migrations to this target (hidden staging folders beside it). */
export async function findLeftovers(target: string): Promise<string[]> {
  const prefix = `.${path.basename(target)}.migrating-`;
  try {
    return (await readdir(path.dirname(target))).filter((n) => n.startsWith(prefix)).map((n) => path.join(path.dirname(target), n));
  } catch {
    return [];
  }
}

/**
 * Moves the staging folder onto the target. An empty target folder is replaced directly; a
 * non-empty one (allowed by --force) is first moved aside, then removed once the new one is in place.
 */
export async function installStaging(staging: StagingDir): Promise<void> {
  const { target, dir } = staging;
  const parent = path.dirname(target);
  const existing = await listTarget(target);
  if (existing === null) {
    await rename(dir, target);
  } else if (existing.length === 0) {
    await rmdir(target);
    await rename(dir, target);
  } else {
    const aside = path.join(parent, `.${path.basename(target)}.replaced-${randomBytes(4).toString('hex')}`);
    await rename(target, aside);
    await rename(dir, target);
    await fsyncDir(parent);
    await rm(aside, { recursive: true, force: true });
  }
  await fsyncDir(parent);
}

export async function removeStaging(staging: StagingDir): Promise<void> {
  await rm(staging.dir, { recursive: true, force: true });
}
