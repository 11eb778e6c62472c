// ufw's view of the host firewall: not installed, inactive, or active with its rules.
import { sh } from '../transport/command.js';
import type { Fact } from './types.js';

export type UfwStatus = { kind: 'missing' } | { kind: 'inactive' } | { kind: 'active'; rules: UfwRule[] };

export interface UfwRule {
  /** `80/tcp`, `443`, `22/udp` */
  to: string;
  action: string;
  from: string;
  v6: boolean;
}

export function parseUfwStatus(stdout: string): UfwStatus {
  if (stdout.includes('@@missing')) return { kind: 'missing' };
  if (!/Status:\s*active/i.test(stdout)) return { kind: 'inactive' };
  const rules: UfwRule[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)(\s+\(v6\))?\s+(ALLOW|DENY|REJECT|LIMIT)(?:\s+IN)?\s+(.+?)\s*$/.exec(line);
    if (m?.[1] && m[3] && m[4]) rules.push({ to: m[1], action: m[3].toLowerCase(), from: m[4].replace(/\s*\(v6\)$/, ''), v6: Boolean(m[2]) });
  }
  return { kind: 'active', rules };
}

/** `ufw status` (its errors too: "ERROR: You need to be root" reads as inactive). */
export const ufwFact: Fact<UfwStatus> = {
  name: 'ufw',
  command: sh`if command -v ufw >/dev/null 2>&1; then ufw status 2>&1; else echo '@@missing'; fi`,
  parse: (stdout, stderr) => parseUfwStatus(stdout + stderr),
};
