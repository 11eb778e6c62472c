// Debian packages: install state and version of named packages (dpkg-query), the candidate
// version apt would install (apt-cache policy), and the age of the package lists.
import { sh, raw } from '../transport/command.js';
import type { Fact } from './types.js';

export interface DebPackage {
  name: string;
  /** dpkg's abbreviated status, e.g. 'ii' installed, 'rc' removed with config files left */
  status: string;
  installed: boolean;
  version?: string;
  /** apt-cache policy (only when asked) */
  candidate?: string;
}

export interface AptState {
  packages: Record<string, DebPackage>;
  /** epoch seconds of the last successful `apt-get update`, undefined when unknown */
  cacheUpdatedAt?: number;
  /** the host's clock (epoch seconds), for cache_valid_time */
  now?: number;
}

/** One command: dpkg-query for the names, the cache stamp, the clock and optionally apt-cache policy. */
export function aptStateFact(names: readonly string[], withCandidates: boolean): Fact<AptState> {
  const query =
    names.length > 0
      ? sh`dpkg-query -W -f='pkg:\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' -- ${[...names]} 2>/dev/null; `
      : sh``;
  const policy = withCandidates && names.length > 0 ? sh`LC_ALL=C apt-cache policy -- ${[...names]} 2>/dev/null; ` : sh``;
  return {
    name: 'apt-state',
    command: sh`${query}${policy}${raw(
      "printf 'stamp:%s\\n' \"$(stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null)\"; printf 'now:%s\\n' \"$(date +%s)\"; " +
        // images (containers, the lab) ship without package lists: then no stamp counts
        "ls /var/lib/apt/lists/ 2>/dev/null | grep -q '_Packages' || echo lists:none",
    )}`,
    parse: (stdout) => parseAptState(stdout, names),
  };
}

export function parseAptState(stdout: string, names: readonly string[]): AptState {
  const packages: Record<string, DebPackage> = {};
  for (const n of names) packages[n] = { name: n, status: 'un', installed: false };
  let current: string | undefined;
  const state: AptState = { packages };
  let noLists = false;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('pkg:')) {
      const [name = '', status = '', version = ''] = line.slice(4).split('\t');
      const st = status.trim();
      packages[name] = { name, status: st, installed: st.startsWith('ii') || st.startsWith('hi'), ...(version ? { version } : {}) };
    } else if (line.startsWith('stamp:')) {
      const v = Number(line.slice(6));
      if (line.slice(6).trim() !== '' && Number.isFinite(v)) state.cacheUpdatedAt = v;
    } else if (line === 'lists:none') {
      noLists = true;
    } else if (line.startsWith('now:')) {
      const v = Number(line.slice(4));
      if (Number.isFinite(v) && line.slice(4).trim() !== '') state.now = v;
    } else if (/^\S+:$/.test(line)) {
      // apt-cache policy block header: "curl:" (":amd64" suffixes kept off)
      current = line.slice(0, -1).replace(/:[a-z0-9]+$/, '');
    } else if (current && /^\s+Candidate:/.test(line)) {
      const cand = line.split(':').slice(1).join(':').trim();
      const p = packages[current] ?? { name: current, status: 'un', installed: false };
      if (cand !== '(none)') p.candidate = cand;
      packages[current] = p;
    }
  }
  if (noLists) delete state.cacheUpdatedAt;
  return state;
}

export interface AptSummary {
  upgraded: number;
  installed: number;
  removed: number;
  notUpgraded: number;
}

/** Counts from apt-get's summary line(s); undefined when no summary was printed. */
export function parseAptSummary(output: string): AptSummary | undefined {
  const re = /(\d+) upgraded, (\d+) newly installed, (?:(\d+) (?:to remove|reinstalled)(?:, (\d+) to remove)?) and (\d+) not upgraded/g;
  let m: RegExpExecArray | null;
  let found = false;
  const total = { upgraded: 0, installed: 0, removed: 0, notUpgraded: 0 };
  while ((m = re.exec(output)) !== null) {
    found = true;
    total.upgraded += Number(m[1]);
    total.installed += Number(m[2]);
    // "N reinstalled, M to remove" or "N to remove"
    total.removed += Number(m[4] ?? m[3]);
    total.notUpgraded += Number(m[5]);
  }
  return found ? total : undefined;
}
