// Loopback plumbing the bench's launcher and the tests' server helpers share: a port that is free
// now, and a four-letter word sent to a server.

import net from 'node:net';

/** A port that was free a moment ago: bind :0 on 127.0.0.1, read it, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Sends a four-letter word and resolves with everything written back before the server closes. */
export function fourLetter(host: string, port: number, word: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect({ host, port }, () => sock.write(word));
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`four-letter word ${word} on ${host}:${port}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.once('error', (err) => { clearTimeout(timer); reject(err); });
    sock.once('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
