// Sessions: ids, passwords, timeouts and bucketed expiry (ZooKeeper's SessionTrackerImpl and
// ExpiryQueue). Deadlines are rounded up to the next tick so one timer per tick expires a whole
// bucket, however many sessions there are.

import { SESSION_PASSWORD_BYTES } from './limits.js';

/** ZooKeeper derives a session's password from its id with this seed, so it survives restarts. */
const SUPER_SECRET = 0xb3415c00n;
const MASK_48 = (1n << 48n) - 1n;
const MULTIPLIER = 0x5deece66dn;

/** java.util.Random(seed).nextBytes(n): the password ZooKeeper generates for a session id. */
export function sessionPassword(sessionId: bigint): Buffer {
  let seed = (BigInt.asIntN(64, sessionId ^ SUPER_SECRET) ^ MULTIPLIER) & MASK_48;
  const nextInt = (): number => {
    seed = (seed * MULTIPLIER + 0xbn) & MASK_48;
    return Number(BigInt.asIntN(32, seed >> 16n));
  };
  const out = Buffer.alloc(SESSION_PASSWORD_BYTES);
  for (let i = 0; i < out.length; ) {
    let rnd = nextInt();
    for (let n = Math.min(out.length - i, 4); n-- > 0; rnd >>= 8) out[i++] = rnd & 0xff;
  }
  return out;
}

/** The first session id of a server: time in the middle bits, the server id in the top byte. */
export function initialSessionId(serverId: number, nowMs: number): bigint {
  let sid = BigInt.asUintN(64, BigInt(nowMs) << 24n) >> 8n;
  sid |= BigInt(serverId) << 56n;
  sid = BigInt.asIntN(64, sid);
  if (sid === -(1n << 63n)) sid++; // would read as the container marker
  return sid;
}

export interface SessionState {
  readonly sessionId: bigint;
  timeoutMs: number;
  /** Bucket time this session expires at. */
  expiresAtMs: number;
  closing: boolean;
}

export class SessionTracker {
  private readonly sessions = new Map<bigint, SessionState>();
  private readonly buckets = new Map<number, Set<bigint>>();
  private nextSessionId: bigint;

  constructor(private readonly tickTimeMs: number, serverId: number, nowMs: number) {
    this.nextSessionId = initialSessionId(serverId, nowMs);
  }

  private roundUp(t: number): number {
    return (Math.floor(t / this.tickTimeMs) + 1) * this.tickTimeMs;
  }

  newSessionId(): bigint {
    return this.nextSessionId++;
  }

  get size(): number {
    return this.sessions.size;
  }

  get(sessionId: bigint): SessionState | undefined {
    return this.sessions.get(sessionId);
  }

  all(): IterableIterator<SessionState> {
    return this.sessions.values();
  }

  /** Starts tracking (createSession committed, or restored from disk). */
  add(sessionId: bigint, timeoutMs: number, nowMs: number): void {
    const existing = this.sessions.get(sessionId);
    if (existing) {
      existing.timeoutMs = timeoutMs;
      this.touch(sessionId, nowMs);
      return;
    }
    const s: SessionState = { sessionId, timeoutMs, expiresAtMs: 0, closing: false };
    this.sessions.set(sessionId, s);
    this.moveTo(s, this.roundUp(nowMs + timeoutMs));
  }

  /** Pushes the deadline out; false when the session is unknown or closing. */
  touch(sessionId: bigint, nowMs: number): boolean {
    const s = this.sessions.get(sessionId);
    if (!s || s.closing) return false;
    const at = this.roundUp(nowMs + s.timeoutMs);
    if (at !== s.expiresAtMs) this.moveTo(s, at);
    return true;
  }

  isValid(sessionId: bigint): boolean {
    const s = this.sessions.get(sessionId);
    return s !== undefined && !s.closing;
  }

  setClosing(sessionId: bigint): void {
    const s = this.sessions.get(sessionId);
    if (s) s.closing = true;
  }

  remove(sessionId: bigint): void {
    const s = this.sessions.get(sessionId);
    if (!s) return;
    this.buckets.get(s.expiresAtMs)?.delete(sessionId);
    this.sessions.delete(sessionId);
  }

  /** Sessions whose bucket has come due; they are marked closing (their closeSession is on its way). */
  takeExpired(nowMs: number): SessionState[] {
    const out: SessionState[] = [];
    for (const [at, ids] of this.buckets) {
      if (at > nowMs) continue;
      for (const id of ids) {
        const s = this.sessions.get(id);
        if (s && !s.closing) {
          s.closing = true;
          out.push(s);
        }
      }
      this.buckets.delete(at);
    }
    return out;
  }

  /** Sessions grouped by the bucket they expire in (the `dump` 4lw). */
  byExpiry(): Map<number, bigint[]> {
    const out = new Map<number, bigint[]>();
    for (const [at, ids] of [...this.buckets].sort((a, b) => a[0] - b[0])) out.set(at, [...ids]);
    return out;
  }

  private moveTo(s: SessionState, at: number): void {
    this.buckets.get(s.expiresAtMs)?.delete(s.sessionId);
    s.expiresAtMs = at;
    let b = this.buckets.get(at);
    if (!b) {
      b = new Set();
      this.buckets.set(at, b);
    }
    b.add(s.sessionId);
  }
}
