// The bench's floor: a bare server that speaks just enough of the ZooKeeper protocol for the load
// generator (handshake, create, setData, getData, closeSession, ruok/srvr) and does the least any
// server with the same durability must do: read each request, make every write durable (one write
// per gathered group, as zk-server does) and answer. No tree, no checks, no txn format. Its numbers
// are what Node, this disk and this machine allow at a scenario's load, so a goal above them cannot
// be met by zk-server's code, and the distance below them is zk-server's own cost.
//
//   node dist/bench/floor-server.js --config zoo.cfg --storage filelog|level
//
// filelog: one O_DSYNC pwrite per group, on the event loop's thread, into a file zeroed ahead of
// time (zk-server's fastest path). level: one synced classic-level batch per group, a key per write.
// Gathering is the ideal one for closed-loop clients: a group is written once every session has a
// request in it or in flight (or after 1 ms), which zk-server can only estimate.

import { closeSync, constants as fsConstants, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const GATHER_MAX_MS = 1;
/** The filelog floor's file: zeroed once at start, written round and round. */
const LOG_BYTES = 64 << 20;
const ZERO_CHUNK = 1 << 20;
const MAX_FRAME_BYTES = 1 << 20;
const FOUR_LETTER = /^[a-z]{4}$/;

const OP = { create: 1, getData: 4, setData: 5, ping: 11, closeSession: -11, create2: 15 } as const;
const WRITES: ReadonlySet<number> = new Set([OP.create, OP.setData, OP.create2]);
/** A Stat record is 68 bytes; the floor answers with zeros. */
const STAT_BYTES = 68;

interface Request { conn: Conn; xid: number; type: number; frame: Buffer }

interface Conn {
  socket: net.Socket;
  buffered: Buffer | null;
  session: boolean;
  /** Requests of this connection in the group being gathered or written. */
  pending: number;
}

/** Makes one group of write requests durable. */
interface Durable {
  write(frames: Buffer[], total: number): void | Promise<void>;
  close(): Promise<void>;
}

function fileDurable(dir: string): Durable {
  const file = path.join(dir, 'floor.log');
  const fd = openSync(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | fsConstants.O_DSYNC, 0o644);
  const zeros = Buffer.alloc(ZERO_CHUNK);
  for (let at = 0; at < LOG_BYTES; at += ZERO_CHUNK) writeSync(fd, zeros, 0, ZERO_CHUNK, at);
  let position = 0;
  let out = Buffer.allocUnsafe(64 << 10);
  return {
    write(frames, total) {
      if (out.length < total) out = Buffer.allocUnsafe(total * 2);
      let at = 0;
      for (const f of frames) at += f.copy(out, at);
      if (position + total > LOG_BYTES) position = 0;
      for (let done = 0; done < total;) done += writeSync(fd, out, done, total - done, position + done);
      position += total;
    },
    close: async () => closeSync(fd),
  };
}

async function levelDurable(dir: string): Promise<Durable> {
  const { ClassicLevel } = await import('classic-level');
  const db = new ClassicLevel<Buffer, Buffer>(path.join(dir, 'floor-level'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  let next = 0n;
  return {
    async write(frames) {
      const batch = db.batch();
      for (const f of frames) {
        const key = Buffer.allocUnsafe(8);
        key.writeBigUInt64BE(next++);
        batch.put(key, f);
      }
      await batch.write({ sync: true });
    },
    close: () => db.close(),
  };
}

class FloorServer {
  readonly #conns = new Set<Conn>();
  #group: Request[] = [];
  #groupSince = 0;
  #writing = false;
  #scheduled = false;
  #zxid = 0n;

  constructor(private readonly durable: Durable) {}

  accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const conn: Conn = { socket, buffered: null, session: false, pending: 0 };
    this.#conns.add(conn);
    socket.on('data', (chunk: Buffer) => this.#onData(conn, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#conns.delete(conn));
  }

  #onData(conn: Conn, chunk: Buffer): void {
    let buf = conn.buffered === null ? chunk : Buffer.concat([conn.buffered, chunk]);
    conn.buffered = null;
    if (!conn.session && buf.length >= 4 && FOUR_LETTER.test(buf.toString('latin1', 0, 4))) {
      const word = buf.toString('latin1', 0, 4);
      conn.socket.end(word === 'ruok' ? 'imok' : word === 'srvr' ? 'Zookeeper version: zk-bench floor\nMode: standalone\n' : '');
      return;
    }
    let at = 0;
    while (buf.length - at >= 4) {
      const len = buf.readInt32BE(at);
      // A ConnectRequest is at least 20 bytes before its password, a request 8 (xid, type).
      if (len < (conn.session ? 8 : 20) || len > MAX_FRAME_BYTES) { conn.socket.destroy(); return; }
      if (buf.length - at - 4 < len) break;
      const frame = buf.subarray(at + 4, at + 4 + len);
      at += 4 + len;
      if (!conn.session) this.#handshake(conn, frame);
      else this.#request(conn, frame);
    }
    if (at < buf.length) conn.buffered = Buffer.from(buf.subarray(at));
  }

  /** ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd; answered at once. */
  #handshake(conn: Conn, frame: Buffer): void {
    conn.session = true;
    const timeOut = frame.readInt32BE(12);
    const reply = Buffer.alloc(4 + 4 + 4 + 8 + 4 + 16 + 1);
    reply.writeInt32BE(reply.length - 4, 0);
    reply.writeInt32BE(0, 4);
    reply.writeInt32BE(timeOut, 8);
    reply.writeBigInt64BE(BigInt(this.#conns.size), 12);
    reply.writeInt32BE(16, 20);
    conn.socket.write(reply);
  }

  #request(conn: Conn, frame: Buffer): void {
    const req: Request = { conn, xid: frame.readInt32BE(0), type: frame.readInt32BE(4), frame };
    if (!WRITES.has(req.type) && conn.pending === 0) { this.#answer(req); return; }
    // A read behind this connection's writes waits with them: replies go out in request order.
    if (this.#group.length === 0) this.#groupSince = performance.now();
    this.#group.push(req);
    conn.pending++;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#turn);
  }

  readonly #turn = (): void => {
    this.#scheduled = false;
    if (this.#writing || this.#group.length === 0) return;
    // A session with nothing in the group and nothing in flight is about to send (closed loop).
    let waitFor = false;
    for (const c of this.#conns) if (c.session && c.pending === 0) { waitFor = true; break; }
    if (waitFor && performance.now() - this.#groupSince < GATHER_MAX_MS) { this.#schedule(); return; }
    const group = this.#group;
    this.#group = [];
    const frames: Buffer[] = [];
    let total = 0;
    for (const r of group) if (WRITES.has(r.type)) { frames.push(r.frame); total += r.frame.length; }
    this.#writing = true;
    const done = (): void => {
      this.#writing = false;
      for (const r of group) { r.conn.pending--; this.#answer(r); }
      if (this.#group.length > 0) this.#schedule();
    };
    const written = frames.length === 0 ? undefined : this.durable.write(frames, total);
    if (written === undefined) done();
    else written.then(done, (err: unknown) => { process.stderr.write(`floor: write failed: ${String(err)}\n`); process.exit(1); });
  };

  #answer(req: Request): void {
    const zxid = WRITES.has(req.type) ? ++this.#zxid : this.#zxid;
    let body: Buffer | null = null;
    if (req.type === OP.setData) body = Buffer.alloc(STAT_BYTES);
    else if (req.type === OP.getData) body = Buffer.alloc(4 + STAT_BYTES);
    else if (req.type === OP.create || req.type === OP.create2) {
      // The path as asked: the reply of a sequential create names its node; the bench reads no further.
      const pathLen = req.frame.readInt32BE(8);
      body = Buffer.from(req.frame.subarray(8, 12 + pathLen));
      if (req.type === OP.create2) body = Buffer.concat([body, Buffer.alloc(STAT_BYTES)]);
    }
    const head = Buffer.allocUnsafe(20);
    head.writeInt32BE(16 + (body?.length ?? 0), 0);
    head.writeInt32BE(req.xid, 4);
    head.writeBigInt64BE(zxid, 8);
    head.writeInt32BE(0, 16);
    req.conn.socket.write(body === null ? head : Buffer.concat([head, body]));
    if (req.type === OP.closeSession) req.conn.socket.end();
  }
}

/** clientPort, clientPortAddress and dataDir from the zoo.cfg the bench's launcher writes. */
function readConfig(file: string): { port: number; host: string; dataDir: string } {
  const kv = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !line.startsWith('#')) kv.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const port = Number(kv.get('clientPort'));
  const dataDir = kv.get('dataDir');
  if (!Number.isInteger(port) || port <= 0) throw new Error(`${file}: clientPort missing or not a port`);
  if (dataDir === undefined) throw new Error(`${file}: dataDir missing`);
  return { port, host: kv.get('clientPortAddress') ?? '127.0.0.1', dataDir };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, storage: { type: 'string' } } });
  if (values.config === undefined) throw new Error('--config zoo.cfg is required');
  const storage = values.storage ?? 'filelog';
  if (storage !== 'filelog' && storage !== 'level') throw new Error(`--storage ${storage}: filelog or level`);
  const cfg = readConfig(values.config);
  mkdirSync(cfg.dataDir, { recursive: true });
  const durable = storage === 'level' ? await levelDurable(cfg.dataDir) : fileDurable(cfg.dataDir);
  const floor = new FloorServer(durable);
  const server = net.createServer((s) => floor.accept(s));
  server.listen(cfg.port, cfg.host);
  await new Promise<void>((resolve, reject) => { server.once('listening', resolve); server.once('error', reject); });
  const stop = (): void => {
    server.close();
    void durable.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`floor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
