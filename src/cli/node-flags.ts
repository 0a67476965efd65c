// The V8 flags the `zk-server` command starts node with (the shebang of main.ts repeats them, and
// `npm start` too; test/cli/node-flags.test.ts keeps the three in step). V8 reads them only when
// the process starts: v8.setFlagsFromString() later does not resize the heap.
//
// A young generation of 16-32 MiB instead of V8's small default: a write allocates ~12 KB of
// short-lived objects (requests, promises, buffers), so at a few thousand writes a second the
// default semi-space was scavenged every ~170 ms, each pause 0.5-2.4 ms landing on a request in
// flight. Alternating pairs: setData 1x1 p99 0.49-0.59 -> 0.46-0.47 ms and +2-7% ops/s; 16x1 p99
// 3.6-3.9 -> 2.8-2.9 ms and +5% ops/s on average. It costs up to ~64 MiB more resident memory.

//
// No allocation-site pretenuring: V8 watches how many objects of each object literal survive a
// young-generation GC and, past a threshold, allocates every later one of that literal straight in
// the old generation. A write's txn, change record and stat live only until the write is applied,
// but with thousands in flight (64 sessions x 32) enough of them are alive at each scavenge that
// V8 tenured those literals in some runs: every write's objects then went to the old generation,
// and a full GC of a million-node tree ran every ~1.5 s instead of every ~3 s. Setting data on
// that tree at 64x32 with snapshots, three alternating pairs: p999 108-129 ms without pretenuring,
// 140-224 ms with it; throughput 61-73k against 58-63k writes/s (16x1: 18-21k against 21-23k).
export const SERVER_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16', '--max-semi-space-size=32', '--no-allocation-site-pretenuring'];
