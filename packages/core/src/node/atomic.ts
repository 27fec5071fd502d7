import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * Six hex digits naming this machine in temporary and shard names, so that a later save can tell
 * its own host's leftovers (whose writer it can check is dead) from another host's on a shared folder.
 */
export const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 6);

/** How old a leftover of an unknown or foreign writer must be before a save removes it. */
export const STALE_FOREIGN_MS = 24 * 60 * 60 * 1000;

/** Temporary files this process is writing now; a cleanup never touches them. */
const inFlight = new Set<string>();

/**
 * Whether the process that wrote a temporary or shard may still be working on it: a writer on this
 * host is alive until `kill(pid, 0)` says otherwise; this process's own files are live while listed
 * in `own`; files of another host, or of the older naming without a writer id, count as live until
 * they are {@link STALE_FOREIGN_MS} old.
 */
export function writerMayBeAlive(
  writer: { pid: number; host: string } | undefined,
  mtimeMs: number,
  ownIsLive: () => boolean,
): boolean {
  if (writer === undefined || writer.host !== HOST_TAG) return Date.now() - mtimeMs < STALE_FOREIGN_MS;
  if (writer.pid === process.pid) return ownIsLive();
  try {
    process.kill(writer.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

/** `.<name>.<pid>.<host>.<random>.tmp` (current) or `.<name>.<pid>.<random>.tmp` (before host tags). */
const TEMP = /^\.(.+)\.(\d+)\.(?:([0-9a-f]{6})\.)?([0-9a-f]{12})\.tmp$/;

/**
 * Parses a temporary name made by {@link writeFileAtomic}: the target's base name and its writer
 * (undefined for the older naming, which had no host tag). Undefined when `name` is no such file.
 */
export function parseTempName(name: string): { target: string; writer?: { pid: number; host: string } } | undefined {
  const match = TEMP.exec(name);
  if (match === null) return undefined;
  const [, target, pid, host] = match;
  return host === undefined ? { target: target! } : { target: target!, writer: { pid: Number(pid), host } };
}

/** Whether this process is writing the temporary file at `path` right now. */
export function isTempInFlight(path: string): boolean {
  return inFlight.has(path);
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory is written and
 * flushed, then renamed over `path`. A crash at any point leaves either the old file or the new
 * one, never a half-written file. The temporary, `.<name>.<pid>.<host>.<random>.tmp`, names its
 * writer so that `fileIO` saves can remove the ones a killed writer left.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${HOST_TAG}.${randomBytes(6).toString('hex')}.tmp`,
  );
  inFlight.add(temp);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  } finally {
    inFlight.delete(temp);
  }
}
