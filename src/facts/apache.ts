// Debian's Apache as a module sees it: installed, running, the modules and sites available and
// enabled, and whether `apache2ctl configtest` passes (one round trip, sections.ts protocol).
import { raw, sh } from '../transport/command.js';
import { sectionMap, sectionStart } from './sections.js';
import type { Fact } from './types.js';

export interface ApacheState {
  installed: boolean;
  /** `apachectl configtest` (undefined when Apache is not installed) */
  configtest?: { ok: boolean; output: string };
  running: boolean;
  modsEnabled: string[];
  modsAvailable: string[];
  sitesEnabled: string[];
  sitesAvailable: string[];
}

export interface Configtest {
  ok: boolean;
  output: string;
}

// the configtest's output is framed by its own section and its exit code on a marker line
const CONFIGTEST = [
  sectionStart('configtest-output'),
  'if command -v apache2ctl >/dev/null 2>&1; then apache2ctl configtest 2>&1; echo "@@configtest-rc $?"; fi',
].join('\n');

export const APACHE_PROBE = sh`${raw(
  [
    'command -v apache2ctl >/dev/null 2>&1 && echo @@installed',
    'pgrep -x apache2 >/dev/null 2>&1 && echo @@running',
    `${sectionStart('mods-enabled')}; ls /etc/apache2/mods-enabled 2>/dev/null`,
    `${sectionStart('mods-available')}; ls /etc/apache2/mods-available 2>/dev/null`,
    `${sectionStart('sites-enabled')}; ls /etc/apache2/sites-enabled 2>/dev/null`,
    `${sectionStart('sites-available')}; ls /etc/apache2/sites-available 2>/dev/null`,
    // the configtest rides along, so a task with nothing to change is one round trip
    CONFIGTEST,
    'true',
  ].join('\n'),
)}`;

/** The configtest section of a probe's output (undefined when Apache is not installed). */
export function parseConfigtest(stdout: string): Configtest | undefined {
  const ct = /@@configtest-output\n([\s\S]*?)@@configtest-rc (\d+)/.exec(stdout);
  return ct ? { ok: ct[2] === '0', output: (ct[1] ?? '').trim() } : undefined;
}

export function parseApacheState(stdout: string): ApacheState {
  const s = sectionMap(stdout);
  // mods: `ssl.load` + `ssl.conf` → `ssl`; sites: `000-default.conf` → `000-default`
  const base = (names: string[] | undefined, ext: RegExp): string[] => [...new Set((names ?? []).map((n) => n.trim()).filter((n) => ext.test(n)).map((n) => n.replace(ext, '')))];
  return {
    installed: s.has('installed'),
    running: s.has('running'),
    configtest: parseConfigtest(stdout),
    modsEnabled: base(s.get('mods-enabled'), /\.load$/),
    modsAvailable: base(s.get('mods-available'), /\.load$/),
    sitesEnabled: base(s.get('sites-enabled'), /\.conf$/),
    sitesAvailable: base(s.get('sites-available'), /\.conf$/),
  };
}

export const apacheFact: Fact<ApacheState> = { name: 'apache', command: APACHE_PROBE, parse: (stdout) => parseApacheState(stdout) };

/** `apache2ctl configtest` alone (undefined when Apache is not installed). */
export const configtestFact: Fact<Configtest | undefined> = {
  name: 'apache-configtest',
  command: sh`${raw(CONFIGTEST)}`,
  parse: (stdout) => parseConfigtest(stdout),
};
