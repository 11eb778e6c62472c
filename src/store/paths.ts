// Where the store lives, apart from db.ts so commands can name the path without loading SQLite.
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * RUNBOOK_STORE, else the XDG state directory: $XDG_STATE_HOME/runbook/runbook.db, by default
 * ~/.local/state/runbook/runbook.db (state, not cache: the record is not re-creatable).
 */
export function defaultStorePath(env: Record<string, string | undefined> = process.env): string {
  if (env.RUNBOOK_STORE) return env.RUNBOOK_STORE;
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'runbook', 'runbook.db');
}
