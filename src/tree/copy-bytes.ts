// Copying a few bytes between buffers, as the tree's data arena, the node digest and the snapshot
// batches do for every node.

/**
 * Copies `n` bytes of `src` from `from` to `dst` at `to`. Short runs by hand: a native copy costs
 * ~90 ns whatever its size up to a few hundred bytes, and the loop ~2.5 ns a byte (8 bytes: 26 vs
 * 92 ns; 32: 80 vs 90; 100: 253 vs 96; Buffer.copy, TypedArray.set on a subarray alike). @returns n
 */
export function copyBytes(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): number {
  if (n <= 32) {
    for (let k = 0; k < n; k++) dst[to + k] = src[from + k];
  } else {
    dst.set(src.subarray(from, from + n), to);
  }
  return n;
}
