// Decoding errors for jute records: always carry the byte offset where the input went wrong.

export class JuteError extends Error {
  readonly code = 'ERR_JUTE_DECODE';
  constructor(message: string, readonly offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'JuteError';
  }
}
