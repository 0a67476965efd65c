#!/usr/bin/env -S node --min-semi-space-size=16 --max-semi-space-size=32 --no-allocation-site-pretenuring
// `zk-server`: the command's entry. A server's restore runs in the snapshot worker thread, which
// takes ~100 ms to start; loading the server's modules takes ~170 ms. Started only once those were
// loaded, the worker was on the critical path of every start (the main thread sat idle ~100 ms
// waiting for it). So the worker is started first, then the rest is loaded beside it.

import { snapshotPool } from '../storage/snapshot/pool.js';
import { isSubcommand } from './subcommands.js';

const argv = process.argv.slice(2);
if (!isSubcommand(argv[0]) && !argv.includes('--help') && !argv.includes('-h')) snapshotPool();
await import('./commands.js');
