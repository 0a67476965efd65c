// Where sockets come from: Node's TCP by default, a fake network in the seeded simulator
// (test/sim/sim-net.ts), which hands out objects with the subset of net.Socket and net.Server that
// the transports and the client connection use. Everything that listens or dials takes a NetEnv.

import net from 'node:net';

export interface NetEnv {
  createServer(onConnection: (socket: net.Socket) => void): net.Server;
  /** An unconnected socket; call connect({ host, port }) on it. */
  createSocket(): net.Socket;
}

export const tcpNet: NetEnv = {
  createServer: (onConnection) => net.createServer({ noDelay: true }, onConnection),
  createSocket: () => new net.Socket(),
};
