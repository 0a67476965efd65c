// Which four-letter-word commands a server answers, from 4lw.commands.whitelist, by the rules of
// ZooKeeper's FourLetterCommands.isEnabled.

/** Every command FourLetterCommands knows, by the name the whitelist uses. */
export const FOUR_LETTER_WORDS: readonly string[] = [
  'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'ruok', 'stmk', 'srst', 'srvr', 'stat',
  'wchc', 'wchp', 'wchs', 'mntr', 'isro', 'hash',
  // The telnet interrupt sequence (IAC IP) is registered as a command too, under this name.
  'telnet close',
];

/**
 * Comma-separated names, trimmed, empties skipped; `*` enables every known command. "srvr" is
 * always on (zkServer.sh status needs it) and "isro" too when read-only mode is enabled.
 */
export function resolveFourLetterWords(
  whitelist: string | null,
  readonlyModeEnabled: boolean,
  warn: (detail: string) => void,
): Set<string> {
  const enabled = new Set<string>();
  for (const item of (whitelist ?? '').split(',')) {
    const name = item.trim();
    if (name === '*') {
      for (const w of FOUR_LETTER_WORDS) enabled.add(w);
      break;
    }
    if (name === '') continue;
    if (!FOUR_LETTER_WORDS.includes(name)) warn(`${JSON.stringify(name)} is not a known four-letter word`);
    enabled.add(name);
  }
  if (readonlyModeEnabled) enabled.add('isro');
  enabled.add('srvr');
  return enabled;
}

export function isFourLetterWordEnabled(whitelist: ReadonlySet<string>, command: string): boolean {
  return whitelist.has(command);
}
