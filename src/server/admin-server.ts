// ZooKeeper's AdminServer over HTTP (JettyAdminServer), on admin.serverAddress:admin.serverPort
// (0.0.0.0:8080 by default, on unless admin.enableServer=false):
//   GET {admin.commandURL}            the command list: one link per primary name
//   GET {admin.commandURL}/<name>     the command's JSON (any alias; query parameters are its
//                                     arguments, e.g. set_trace_mask?traceMask=306)
// Answers are 200 with JSON even for an unknown command or a server not serving (the error is in
// the JSON), as ZooKeeper answers. HEAD is GET without a body; TRACE is refused (403) as 3.9 does;
// other methods get 405. Connections idle for admin.idleTimeout ms are closed.

import { createReadStream } from 'node:fs';
import http from 'node:http';
import { jacksonPretty } from './jackson.js';
import { PRIMARY_COMMAND_NAMES, runAdminCommand, type AdminContext } from './admin-commands.js';
import { listenHttp } from './http-listen.js';
import type { Logger } from '../log/logger.js';

export interface AdminServerOptions {
  host: string;
  port: number;
  /** admin.commandURL, e.g. "/commands". */
  commandUrl: string;
  idleTimeoutMs: number;
}

function commandList(commandUrl: string): string {
  return PRIMARY_COMMAND_NAMES.map((n) => `<a href="${commandUrl}/${n}">${n}</a>\n<br/>\n`).join('');
}

export async function startAdminServer(context: () => AdminContext, opts: AdminServerOptions, log: Logger): Promise<http.Server> {
  const base = opts.commandUrl.replace(/\/+$/, '');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('malformed path\n');
      return;
    }
    const method = req.method ?? 'GET';
    const inCommands = path === base || path.startsWith(`${base}/`);
    if (!inCommands) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`no such path: ${path}\n`);
      return;
    }
    if (method === 'TRACE') {
      res.writeHead(403).end();
      return;
    }
    if (method === 'OPTIONS') {
      res.writeHead(200, { Allow: 'GET, HEAD, OPTIONS' }).end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD, OPTIONS', 'Content-Type': 'text/plain; charset=utf-8' }).end(`${method} is not supported\n`);
      return;
    }
    const name = path === base ? '' : path.slice(base.length + 1);
    if (name === '') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(method === 'HEAD' ? undefined : commandList(base));
      return;
    }
    const auth = req.headers.authorization;
    runAdminCommand(name, url.searchParams, context(), { authorization: auth === undefined ? null : auth, remoteAddress: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '' }).then(
      (result) => {
        if (result.file !== undefined) {
          // The snapshot command streams the file it wrote.
          res.writeHead(result.status, { ...result.headers, 'Content-Type': 'application/octet-stream' });
          if (method === 'HEAD') res.end();
          else createReadStream(result.file).on('error', () => res.destroy()).pipe(res);
          return;
        }
        res.writeHead(result.status, { ...result.headers, 'Content-Type': 'application/json' }).end(method === 'HEAD' ? undefined : jacksonPretty(result.data));
      },
      (err: unknown) => {
        log.warn(`admin command ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
        res.writeHead(500, { 'Content-Type': 'application/json' })
          .end(jacksonPretty(new Map([['command', name], ['error', `Error running command: ${err instanceof Error ? err.message : String(err)}`]])));
      },
    );
  });
  server.setTimeout(opts.idleTimeoutMs);
  server.keepAliveTimeout = opts.idleTimeoutMs;
  await listenHttp(server, opts.host, opts.port, 'admin.serverPort');
  return server;
}
