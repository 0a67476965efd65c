// Binding the HTTP endpoints (AdminServer, Prometheus): a port that cannot be had is a start-up
// error that names the zoo.cfg key that chose it.

import type { Server } from 'node:net';

import { KeyedConfigError } from './keyed-error.js';

export class EndpointError extends KeyedConfigError {}

export function listenHttp(server: Server, host: string, port: number, key: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use`
        : err.code === 'EACCES' ? `no permission to listen on ${host}:${port}`
          : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' ? `cannot listen on ${host}:${port}: no such local address`
            : `cannot listen on ${host}:${port}: ${err.message}`;
      reject(new EndpointError(key, why));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** The port an endpoint listens on (for port 0: the one the system chose). */
export function boundPort(server: Server): number {
  const a = server.address();
  return a !== null && typeof a === 'object' ? a.port : 0;
}
