// A description of the machine a bench ran on, saved with its results: absolute numbers mean little
// without the cores, the load others put on them and the disk the fsyncs went to.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface DiskDescription {
  /** The directory the servers' data dirs were made in. */
  dir: string;
  device: string | null;
  filesystem: string | null;
  mountPoint: string | null;
  mountOptions: string | null;
  /** From /sys/block/<dev>/queue/rotational; virtual disks often claim 1 whatever backs them. */
  rotational: boolean | null;
}

export interface MachineDescription {
  hostname: string;
  platform: string;
  kernel: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  java: string | null;
  /** 1/5/15-minute load averages when the run started: above the core count, others share the CPUs. */
  loadAverageAtStart: number[];
  dataDisk: DiskDescription;
}

function run(cmd: string, args: string[]): string | null {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.status === 0 ? r.stdout : null;
  } catch {
    return null;
  }
}

export function describeDisk(dir: string): DiskDescription {
  const out: DiskDescription = { dir, device: null, filesystem: null, mountPoint: null, mountOptions: null, rotational: null };
  // df -PT: Filesystem Type 1024-blocks Used Available Capacity Mounted-on
  const fields = run('df', ['-PT', dir])?.trim().split('\n')[1]?.split(/\s+/);
  if (fields && fields.length >= 7) {
    out.device = fields[0];
    out.filesystem = fields[1];
    out.mountPoint = fields.slice(6).join(' ');
  }
  out.mountOptions = run('findmnt', ['-no', 'OPTIONS', '-T', dir])?.trim() || null;
  if (out.device?.startsWith('/dev/')) {
    // A partition (vda1, nvme0n1p2) takes the queue settings of its disk.
    const name = path.basename(out.device);
    for (const candidate of [name, name.replace(/p?\d+$/, '')]) {
      try {
        out.rotational = readFileSync(`/sys/block/${candidate}/queue/rotational`, 'utf8').trim() === '1';
        break;
      } catch { /* try the next name */ }
    }
  }
  return out;
}

export function describeMachine(dataDirBase: string, java: string | null): MachineDescription {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    java,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    dataDisk: describeDisk(dataDirBase),
  };
}

export function machineOneLiner(m: MachineDescription): string {
  const d = m.dataDisk;
  return `${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.platform} ${m.kernel}; node ${m.node}; java ${m.java ?? 'absent'}; `
    + `data on ${d.device ?? '?'} ${d.filesystem ?? '?'} (${d.dir}); load average ${m.loadAverageAtStart.join(' ')}`;
}
