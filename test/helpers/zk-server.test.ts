// The server launcher's own behaviour with stand-in processes: readiness through ruok and srvr,
// failures reported with the child's stderr, stop() ending the process and removing its temp dir.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fourLetter, freePort, launchServer } from './zk-server.js';

/**
 * A stand-in server: reads clientPort from the zoo.cfg it is given and answers ruok with imok and
 * srvr with "not serving" for the first `notServing` probes, then with a Mode line.
 */
const FAKE_SERVER = `
const fs = require('node:fs'); const net = require('node:net');
const cfg = fs.readFileSync(process.argv[1], 'utf8');
const port = Number(/clientPort=(\\d+)/.exec(cfg)[1]);
let srvrCalls = 0; const notServing = Number(process.argv[2]);
net.createServer((s) => s.once('data', (d) => {
  const w = d.toString();
  if (w === 'ruok') s.end('imok');
  else if (w === 'srvr') s.end(++srvrCalls <= notServing ? 'This ZooKeeper instance is not currently serving requests\\n' : 'Mode: standalone\\n');
  else s.destroy();
})).listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

describe('launchServer', () => {
  it('waits until srvr says the server serves, writes zoo.cfg, and stop() cleans up', async () => {
    const h = await launchServer({
      command: process.execPath,
      args: (cfg) => ['-e', FAKE_SERVER, cfg, '3'],
    }, { extraConfig: { maxClientCnxns: '7', tickTime: '500' } });
    try {
      assert.equal(await fourLetter(h.port, 'srvr'), 'Mode: standalone\n');
      const tmp = path.dirname(h.dataDir);
      const cfg = readFileSync(path.join(tmp, 'zoo.cfg'), 'utf8');
      assert.match(cfg, new RegExp(`^clientPort=${h.port}$`, 'm'));
      assert.match(cfg, /^clientPortAddress=127\.0\.0\.1$/m);
      assert.match(cfg, /^4lw\.commands\.whitelist=\*$/m);
      assert.match(cfg, /^tickTime=500$/m, 'extraConfig overrides the defaults');
      assert.match(cfg, /^maxClientCnxns=7$/m);
      assert.equal(await h.stop(), 0);
      assert.equal(existsSync(tmp), false);
    } finally {
      await h.stop();
    }
  });

  it('reports a server that exits early, with its stderr', async () => {
    await assert.rejects(
      launchServer({ command: process.execPath, args: () => ['-e', 'console.error("bad config: boom"); process.exit(3)'] }),
      (e: Error) => /exited with code 3/.test(e.message) && /bad config: boom/.test(e.message),
    );
  });

  it('fourLetter rejects when nothing listens', async () => {
    await assert.rejects(fourLetter(await freePort(), 'ruok'), /ECONNREFUSED/);
  });
});
