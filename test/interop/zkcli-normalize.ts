// Turns zkCli.sh output into text that is identical for two equivalent servers: drops banners and
// logger noise, maps zxids and session ids to z1…/S1… by first appearance, replaces dates with T, and
// moves watch notifications (printed by the client's event thread, racing the command output) into
// their own ordered section.

export interface ZkCliOutput {
  stdout: string;
  stderr: string;
}

const BANNERS = [/^Connecting to /, /^Welcome to ZooKeeper!$/, /^JLine support is (en|dis)abled$/];
const LOGGER_NOISE = /^SLF4J: /;
const WATCHED_EVENT = /^WatchedEvent state:(\S+) type:(\S+) path:(.*)$/;
const ZXID_LINE = /^(cZxid|mZxid|pZxid) = 0x([0-9a-f]+)$/;
const TIME_LINE = /^(ctime|mtime) = (.+)$/;
const OWNER_LINE = /^ephemeralOwner = 0x([0-9a-f]+)$/;
const LIST_LINE = /^\[(.*)\]$/;
// A server that stamps nonsense (0, seconds, another clock) must not pass as T.
const PLAUSIBLE_TIME_WINDOW_MS = 24 * 60 * 60 * 1000;

class Renamer {
  private readonly names = new Map<string, string>();
  constructor(private readonly prefix: string) {}
  name(raw: string): string {
    let name = this.names.get(raw);
    if (name === undefined) {
      name = `${this.prefix}${this.names.size + 1}`;
      this.names.set(raw, name);
    }
    return name;
  }
}

/** Normalizes one zkCli run; `hostPort` is the -server argument, which `history` echoes. */
export function normalizeZkCliOutput(output: ZkCliOutput, hostPort: string, nowMs = Date.now()): string {
  const zxids = new Renamer('z');
  const sessions = new Renamer('S');
  const stdout: string[] = [];
  const events: string[] = [];

  for (const raw of splitLines(output.stdout)) {
    const line = raw.split(hostPort).join('{{server}}');
    // The client prints each notification as "\nWATCHER::" then "\nWatchedEvent …", each one println,
    // so the blank line right before either belongs to it.
    if (line === 'WATCHER::') {
      if (stdout[stdout.length - 1] === '') stdout.pop();
      continue;
    }
    const event = WATCHED_EVENT.exec(line);
    if (event) {
      if (stdout[stdout.length - 1] === '') stdout.pop();
      const [, state, type, path] = event;
      // Connection-state events (type None) track the client's own socket, not the server's answers.
      if (type !== 'None') events.push(`${type} ${path} state=${state}`);
      continue;
    }
    if (BANNERS.some((re) => re.test(line)) || LOGGER_NOISE.test(line)) continue;
    stdout.push(normalizeLine(line, zxids, sessions, nowMs));
  }

  const stderr = splitLines(output.stderr)
    .filter((line) => !LOGGER_NOISE.test(line))
    .map((line) => line.split(hostPort).join('{{server}}'));

  return [...stdout, '--- stderr ---', ...stderr, '--- events ---', ...events].join('\n') + '\n';
}

function splitLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function normalizeLine(line: string, zxids: Renamer, sessions: Renamer, nowMs: number): string {
  const zxid = ZXID_LINE.exec(line);
  if (zxid) return `${zxid[1]} = ${BigInt(`0x${zxid[2]}`) === 0n ? '0' : zxids.name(zxid[2])}`;
  const time = TIME_LINE.exec(line);
  if (time) {
    // zkCli prints java.util.Date#toString, which Date.parse reads when the zone is UTC.
    const ms = Date.parse(time[2]);
    const plausible = Number.isFinite(ms) && Math.abs(ms - nowMs) < PLAUSIBLE_TIME_WINDOW_MS;
    return plausible ? `${time[1]} = T` : line;
  }
  const owner = OWNER_LINE.exec(line);
  if (owner) return `ephemeralOwner = ${BigInt(`0x${owner[1]}`) === 0n ? '0x0' : sessions.name(owner[1])}`;
  const list = LIST_LINE.exec(line);
  // Child and ephemeral lists come in the server's hash-set order, which clients may not rely on.
  if (list) return list[1] === '' ? '[]' : `[${list[1].split(', ').sort().join(', ')}]`;
  return line;
}
