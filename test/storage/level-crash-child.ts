// The process level-crash.test.ts kills: it holds a level backend open and writes until killed,
// printing one line per acknowledged write. Not a test file; it acts only when run with its marker.
//
//   node level-crash-child.js --level-crash-child <dataDir> append     "ack <zxid>" per resolved append
//   node level-crash-child.js --level-crash-child <dataDir> snapshot   "snapshot <zxid>" once written,
//                                                                      "paused" half-way through the next

import { openStorage } from '../../src/storage/index.js';
import { chunked, entries, epochZxid, run, sealedSnapshot } from './conformance-support.js';

export const CHILD_MARKER = '--level-crash-child';
export const E1 = epochZxid(1);
/** Appends kept in flight at once, so that groups form as under client load. */
const APPENDS_IN_FLIGHT = 8;
/** A bound in case the parent never kills: the child then waits for its stdin to close. */
const MAX_ZXIDS = 200_000;
/** The complete snapshot the snapshot mode writes first. */
export const completeSnapshot = (): Buffer => sealedSnapshot(50_000, 42);

async function appendUntilKilled(dataDir: string): Promise<void> {
  const backend = await openStorage('level', { dataDir });
  let next = E1 + 1;
  const inFlight = new Set<Promise<void>>();
  while (next < E1 + MAX_ZXIDS) {
    const batch = entries(run(next, 1 + (next % 4)));
    next += batch.length;
    const last = batch[batch.length - 1].zxid;
    const acked = backend.txnLog.append(batch).then(() => {
      // Pipes are written synchronously on Linux: the line is out before the next ack.
      process.stdout.write(`ack ${last}\n`);
    });
    inFlight.add(acked);
    void acked.finally(() => inFlight.delete(acked));
    if (inFlight.size >= APPENDS_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

async function snapshotUntilKilled(dataDir: string): Promise<void> {
  const backend = await openStorage('level', { dataDir });
  await backend.snapshots.write(E1, chunked(completeSnapshot(), 4096));
  process.stdout.write(`snapshot ${E1}\n`);
  const half = sealedSnapshot(12 << 20, 7);
  async function* stalls(): AsyncGenerator<Uint8Array> {
    yield* chunked(half, 192 * 1024);
    process.stdout.write('paused\n');
    await new Promise(() => {}); // until killed
  }
  await backend.snapshots.write(E1 + 100, stalls());
}

const at = process.argv.indexOf(CHILD_MARKER);
if (at !== -1) {
  const [dataDir, mode] = process.argv.slice(at + 1);
  // Never outlive the test that started us.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  const work = mode === 'append' ? appendUntilKilled(dataDir) : snapshotUntilKilled(dataDir);
  work.then(() => { process.stdout.write('done\n'); }, (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
