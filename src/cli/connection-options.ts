// The connection flags every command that reaches hosts shares (apply, certs): their parse
// specs, their checks and how they become the transport factory's ConnectionOverrides. One place,
// so `runbook certs` connects exactly as `runbook apply` does.
import { resolve } from 'node:path';
import type { CommandIo, OptionSpec, ParsedArgs } from './command.js';
import { askHidden } from './prompt.js';
import type { ConnectionOverrides } from '../transport/factory.js';
import { UsageError } from '../util/errors.js';

export const HOST_KEY_CHECKING = ['strict', 'accept-new', 'off'] as const;
export type HostKeyChecking = (typeof HOST_KEY_CHECKING)[number];

export const CONNECTION_OPTIONS: OptionSpec = {
  'ask-become-pass': { type: 'boolean', short: 'K' },
  'known-hosts': { type: 'string' },
  'host-key-checking': { type: 'string' },
};

export const CONNECTION_HELP = `  -K, --ask-become-pass       ask for the sudo password (or set RUNBOOK_BECOME_PASSWORD)
      --known-hosts FILE      known_hosts file to verify host keys against
      --host-key-checking M   strict (default) | accept-new | off`;

/** Checks the flags (before anything connects); asks for the sudo password only when `ask` is true. */
export async function connectionOverrides(command: string, values: ParsedArgs['values'], io: CommandIo, o: { ask?: boolean } = {}): Promise<ConnectionOverrides> {
  const hkc = values['host-key-checking'];
  if (hkc !== undefined && !HOST_KEY_CHECKING.includes(hkc as HostKeyChecking)) {
    throw new UsageError(`runbook ${command}: --host-key-checking must be one of ${HOST_KEY_CHECKING.join(', ')}, got '${String(hkc)}'`);
  }
  const knownHosts = typeof values['known-hosts'] === 'string' ? resolve(io.cwd, values['known-hosts']) : undefined;
  let becomePassword = io.env.RUNBOOK_BECOME_PASSWORD || undefined;
  if (values['ask-become-pass'] && o.ask !== false) becomePassword = await askPassword(io, 'BECOME password: ');
  return {
    ...(knownHosts ? { knownHosts } : {}),
    ...(hkc ? { hostKeyChecking: hkc as HostKeyChecking } : {}),
    ...(becomePassword ? { becomePassword } : {}),
    env: io.env,
  };
}

/** Read the sudo password from the terminal without echo. */
export function askPassword(io: CommandIo, prompt: string): Promise<string> {
  return askHidden(io, prompt, '--ask-become-pass needs a terminal; set RUNBOOK_BECOME_PASSWORD instead');
}
