// SharedArrayBuffers for snapshot batches and chunks, kept from one snapshot to the next. Each
// snapshot needs ~5 MB of them; allocated afresh every time they are external memory that V8
// only reclaims with a full mark-compact, which on a server holding a million nodes is a pause of
// tens of ms, and more of them makes one come sooner.

/** Buffers kept per size; more are dropped (a second snapshot at once allocates its own). */
const KEEP_PER_SIZE = 16;

const free = new Map<number, SharedArrayBuffer[]>();

/** A shared buffer of exactly `bytes` bytes (contents undefined: whatever its last user wrote). */
export function takeShared(bytes: number): SharedArrayBuffer {
  return free.get(bytes)?.pop() ?? new SharedArrayBuffer(bytes);
}

/** Hands buffers back once nothing (no worker task either) can still read or write them. */
export function giveBackShared(buffers: Iterable<SharedArrayBuffer>): void {
  for (const b of buffers) {
    let list = free.get(b.byteLength);
    if (list === undefined) free.set(b.byteLength, (list = []));
    if (list.length < KEEP_PER_SIZE) list.push(b);
  }
}
