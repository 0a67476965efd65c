// A configuration problem found when the server starts (a port taken, a key store that cannot be
// read, a JAAS file with a syntax error): the message starts with the key to fix, and the CLI
// prints it as a refusal to start.

export class KeyedConfigError extends Error {
  constructor(readonly key: string, detail: string) {
    super(`${key}: ${detail}`);
    this.name = new.target.name;
  }
}
