// The names of the `zk-server` subcommands (data-directory tools; anything else starts a server).
// Kept apart so that main.ts can tell a server start without loading the commands themselves.

export const SUBCOMMAND_NAMES = ['purge', 'inspect', 'verify', 'migrate'] as const;
export type SubcommandName = (typeof SUBCOMMAND_NAMES)[number];

export function isSubcommand(arg: string | undefined): arg is SubcommandName {
  return (SUBCOMMAND_NAMES as readonly string[]).includes(arg ?? '');
}
