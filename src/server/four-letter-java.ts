// How Java prints the values that appear in ZooKeeper's four-letter-word answers (Double.toString,
// Long.toHexString, InetSocketAddress.toString, Date.toString), so tools that parse them see the same text.

/** Java's `Double.toString`: integral values keep a ".0", and tiny or huge ones use "E" notation. */
export function javaDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(v);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = v.toExponential().split('e');
  const m = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return `${m}E${Number(exponent)}`;
}

/**
 * The average ZooKeeper reports for its latency counters: total/count rounded to 4 decimals, half up
 * (toFixed rounds the exact binary value, which is what BigDecimal(double).setScale does).
 */
export function roundedAverage(total: number, count: number): number {
  if (count <= 0) return 0;
  return Number((total / count).toFixed(4));
}

/** Java's `Long.toHexString`: lowercase, no padding, negatives as 64-bit two's complement. */
export function javaHexLong(v: number | bigint): string {
  return BigInt.asUintN(64, BigInt(v)).toString(16);
}

/** Java's `Inet6Address.getHostAddress`: eight groups, no zero compression, lowercase hex. */
function expandIpv6(ip: string): string {
  let zone = '';
  const pct = ip.indexOf('%');
  if (pct >= 0) {
    zone = ip.slice(pct);
    ip = ip.slice(0, pct);
  }
  // An embedded IPv4 tail (::ffff:1.2.3.4 style) becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    ip = ip.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, null];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const fill = tail === null ? [] : new Array(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...fill, ...tailGroups].map((g) => parseInt(g, 16).toString(16)).join(':') + zone;
}

/**
 * Java's `InetSocketAddress.toString()` for an address with no resolved host name:
 * "/127.0.0.1:2181", "/[0:0:0:0:0:0:0:1]:2181". IPv4-mapped IPv6 addresses print as IPv4,
 * as Java turns them into Inet4Address.
 */
export function javaSocketAddress(ip: string, port: number): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return `/${mapped[1]}:${port}`;
  if (ip.includes(':')) return `/[${expandIpv6(ip)}]:${port}`;
  return `/${ip}:${port}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Java's `Date.toString()`: "EEE MMM dd HH:mm:ss zzz yyyy". The zone name comes from Intl, which says
 * "UTC" as Java does but "GMT+1" where Java would say "CET".
 */
export function javaDate(epochMs: number, timeZone?: string): string {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', timeZoneName: 'short',
    year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  const parts = new Map<string, string>(fmt.formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]));
  const num = (k: string): number => Number(parts.get(k));
  const two = (n: number): string => String(n).padStart(2, '0');
  // Weekday from the zoned calendar date, so it agrees with the day printed.
  const weekday = new Date(Date.UTC(num('year'), num('month') - 1, num('day'))).getUTCDay();
  return `${DAYS[weekday]} ${MONTHS[num('month') - 1]} ${two(num('day'))} ` +
    `${two(num('hour'))}:${two(num('minute'))}:${two(num('second'))} ${parts.get('timeZoneName')} ${num('year')}`;
}
