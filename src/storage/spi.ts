// The storage SPI: what every backend (memory, filelog, level) provides to the server. It speaks in
// txn entries, snapshot chunks and epochs only, never in server types, so backends stay swappable.
//
// Three roles, kept apart as ZooKeeper keeps TxnLog, SnapShot and the epoch files apart: they have
// different write patterns (append-and-fsync, write-once-then-rename, overwrite-atomically) and
// different owners in the server (the zab host, the snapshot workers, the election/discovery code).
//
// Why a TxnEntry is `{ zxid, payload }` and not `{ header, body, digest }`:
// ZooKeeper's log frames each txn as `checksum(8) length(4) payload 0x42`, where payload is
// `TxnHeader ‖ txn record ‖ [TxnDigest]` and the Adler32 checksum covers exactly those payload
// bytes (verified on a 3.8 log: not the length, not the 0x42). A split form cannot be rebuilt from
// a log file without decoding every txn record, because only the record's type-specific layout
// tells where the record ends and the optional digest begins; so a filelog reader would have to
// understand txns. With the payload kept whole, filelog writes and checksums it verbatim, level
// stores it as the value, and neither parses anything but the 8-byte zxid at payload offset 12
// (checked against `zxid` on append, see txn-entry.ts). encodeTxnEntry/decodeTxnEntry in
// txn-entry.ts convert to and from the jute records for the code that does understand txns.

export interface TxnEntry {
  /** Equal to the zxid inside the payload's TxnHeader; duplicated so the log never decodes. */
  readonly zxid: number;
  /** Jute bytes `TxnHeader ‖ txn record ‖ [TxnDigest]`, exactly as ZooKeeper logs them. */
  readonly payload: Buffer;
}

/** How an append may be carried out; hints only, a backend may ignore them. */
export interface AppendOptions {
  /**
   * Nothing else waits on this process while the batch is written (the caller holds no other
   * request): a backend may write it on the calling thread, blocking it, instead of through the
   * thread pool, whose two wake-ups cost more than the rest of a lone small write's CPU.
   */
  readonly inline?: boolean;
}

/**
 * The write-ahead log of txns. Writes are ordered in call order; reads and lastZxid see every
 * append that resolved before they were called.
 */
export interface TxnLog {
  /**
   * Appends a batch. Resolves once every entry of the batch is durable: that is the group commit,
   * and a backend is free to merge batches that arrive while an fsync is in flight. Promises
   * resolve in call order. Zxids must be strictly increasing within the batch and above every zxid
   * accepted before (including appends not yet resolved), else ERR_STORAGE_ZXID_ORDER and nothing
   * of the batch is written. Gaps are fine (a new epoch jumps the zxid). After one append fails,
   * every later write rejects with ERR_STORAGE_WRITE_FAILED until the backend is reopened.
   * The log may keep the payload buffers: do not mutate them after the call.
   */
  append(entries: readonly TxnEntry[], options?: AppendOptions): Promise<void>;
  /**
   * Entries with zxid >= fromZxid, in zxid order. As in ZooKeeper's FileTxnLog.read, a fromZxid
   * that is not in the log is not an error: below the first entry it starts at the first, inside a
   * gap at the next one, past the end it yields nothing. A caller that needs the exact zxid (a
   * leader deciding DIFF vs SNAP) checks the first entry it gets. Yielded payloads are read-only.
   */
  read(fromZxid: number): AsyncIterable<TxnEntry>;
  /**
   * The entries read() yields, in runs of one or more (a run never waits for I/O in its middle):
   * one step of the iteration per run instead of per entry, for callers going through many (a
   * restart's replay spent ~18% of its time stepping the per-entry generators).
   */
  readRuns(fromZxid: number): AsyncIterable<readonly TxnEntry[]>;
  /** Zxid of the last entry once every write issued before the call has settled; 0 when empty. */
  lastZxid(): Promise<number>;
  /**
   * Drops every entry with zxid > afterZxid (a follower told TRUNC by its leader). Waits for
   * in-flight appends first; appends issued after the call are applied after it. afterZxid 0
   * empties the log. ZooKeeper's truncate keeps the first entry >= its argument when the argument
   * falls in a gap; we keep exactly the entries <= afterZxid.
   */
  truncate(afterZxid: number): Promise<void>;
  /**
   * Lets the backend drop entries with zxid < beforeZxid (they are covered by a snapshot). Best
   * effort at the backend's granularity (filelog drops whole files, as PurgeTxnLog does); never
   * drops an entry >= beforeZxid, and never the last entry, so lastZxid() is unchanged.
   */
  purgeBefore(beforeZxid: number): Promise<void>;
  /** Starts a new segment for the next append (ZooKeeper rolls whenever it starts a snapshot). */
  roll(): Promise<void>;
  /** Waits for in-flight writes, then releases resources. Idempotent. */
  close(): Promise<void>;
}

export interface SnapshotInfo {
  /** The zxid the snapshot was started at: replay the log from zxid + 1 on top of it. */
  readonly zxid: number;
  readonly sizeBytes: number;
  /** When it was written (file mtime for filelog), for purge policies and 4lw/admin output. */
  readonly createdAtMs: number;
  /** Where it is stored, for messages (its file's path for filelog); absent when there is no such name. */
  readonly location?: string;
}

/**
 * Snapshots as byte streams the store does not parse. Chunks are the logical snapshot bytes as the
 * snapshot encoder produced them, ending with ZooKeeper's seal (`checksum:long` then the string
 * "/", so the last 5 bytes are 00 00 00 01 2F): a store that must tell complete snapshots from
 * ones ZooKeeper left half-written may apply ZooKeeper's check (>= 10 bytes, sealed tail) in list().
 * Compressing, when a backend supports it, is the backend's business: ZooKeeper computes the seal
 * over the uncompressed bytes. A writer may reuse a chunk's memory once the store has pulled three
 * more chunks (the snapshot encoder encodes into a small ring of buffers so a large snapshot does not
 * trigger full garbage collections): `write` must write or copy each chunk before then. A stream's
 * read-ahead of a chunk or two is fine; holding every chunk is not.
 */
export interface SnapshotStore {
  /**
   * Writes the snapshot for zxid from chunks. Atomic: until it resolves the snapshot is not
   * listed, and if chunks throws (or the process dies) part-way, no snapshot is left behind and a
   * previous snapshot at the same zxid stays intact; the chunk iterable's own error is rethrown.
   * Writing an existing zxid replaces it.
   */
  write(zxid: number, chunks: AsyncIterable<Uint8Array>): Promise<SnapshotInfo>;
  /** Complete snapshots, newest (highest zxid) first. */
  list(): Promise<SnapshotInfo[]>;
  /**
   * The bytes of one snapshot; ERR_STORAGE_NOT_FOUND (on first iteration) if there is none. Each
   * chunk is the caller's from then on: the store neither keeps nor reuses its memory (a restore
   * moves chunks to its worker instead of copying them).
   */
  open(zxid: number): AsyncIterable<Uint8Array>;
  /**
   * The path of the snapshot's file when the store keeps it as a plain, uncompressed file that
   * another thread may read directly (null otherwise, or when there is none). Optional: only the
   * filelog store has such files. An incremental snapshot's worker reads its base this way, with
   * no turn of the main thread's event loop per chunk.
   */
  plainFile?(zxid: number): Promise<string | null>;
  /** Removes a snapshot. Deleting one that does not exist is not an error (purge can race). */
  delete(zxid: number): Promise<void>;
  close(): Promise<void>;
  /** Where snapshots are stored, for messages (the directory for filelog). */
  readonly location?: string;
}

/**
 * ZAB's two persisted epochs: acceptedEpoch (the last NEWEPOCH acknowledged) and currentEpoch (the
 * epoch of the last NEWLEADER acknowledged). Each write is atomic: a crash leaves the old or the
 * new value, never a torn one. null means never written (a fresh data directory).
 */
export interface EpochStore {
  readCurrentEpoch(): Promise<number | null>;
  writeCurrentEpoch(epoch: number): Promise<void>;
  readAcceptedEpoch(): Promise<number | null>;
  writeAcceptedEpoch(epoch: number): Promise<void>;
  close(): Promise<void>;
}

/** What a backend can do, declared so callers and the conformance suite need not guess. */
export interface StorageSupports {
  /** Data survives the process (memory: false; it only survives reopen within the process). */
  readonly persistent: boolean;
  /** The data directory is readable and writable by Apache ZooKeeper 3.8 (filelog only). */
  readonly zookeeperDataDir: boolean;
  /** The log is kept in segments: roll() starts a new one (else roll() is a no-op). */
  readonly logSegments: boolean;
}

export interface StorageBackend {
  readonly kind: string;
  readonly txnLog: TxnLog;
  readonly snapshots: SnapshotStore;
  readonly epochs: EpochStore;
  readonly supports: StorageSupports;
  /** Closes the txn log, snapshot store and epoch store. Idempotent. */
  close(): Promise<void>;
}

export type StorageKind = 'memory' | 'filelog' | 'level';
