// One alternatives group as dpkg's update-alternatives reports it (`--query NAME`, the
// machine-readable form of `--display`), plus whether a path exists on the host (the
// alternatives module refuses to install a path that is not there).
import { sh } from '../transport/command.js';
import type { Fact } from './types.js';

export interface AlternativeEntry {
  path: string;
  priority: number;
  /** the alternative's slave (subcommand) paths, by slave name */
  slaves: Record<string, string>;
}

export interface AlternativesState {
  /** update-alternatives is installed */
  tool: boolean;
  /** the group exists (`--query` succeeded) */
  exists: boolean;
  name: string;
  /** the group's master link, e.g. /usr/bin/editor */
  link?: string;
  /** the group's slave links, by slave name */
  slaveLinks: Record<string, string>;
  status?: 'auto' | 'manual';
  /** the selected path (`Value:`); undefined for `none` */
  value?: string;
  alternatives: AlternativeEntry[];
  /** whether the `path` argument exists on the host (undefined when none was asked about) */
  pathExists?: boolean;
}

/** Parse `update-alternatives --query NAME` (blank-line separated stanzas: the group, then each alternative). */
export function parseAlternativesQuery(name: string, text: string): Omit<AlternativesState, 'tool' | 'pathExists'> {
  const st: Omit<AlternativesState, 'tool' | 'pathExists'> = { exists: false, name, slaveLinks: {}, alternatives: [] };
  const stanzas = text.split(/\n\s*\n/).map((s) => s.split('\n').filter((l) => l !== ''));
  for (const lines of stanzas) {
    let alt: AlternativeEntry | undefined;
    let slaves: Record<string, string> | undefined;
    for (const line of lines) {
      if (line.startsWith(' ')) {
        // a slave line under `Slaves:`: ` NAME PATH`
        const m = /^ (\S+) (.*)$/.exec(line);
        if (m && slaves) slaves[m[1]!] = m[2]!;
        continue;
      }
      const at = line.indexOf(': ');
      const key = at < 0 ? line.replace(/:$/, '') : line.slice(0, at);
      const val = at < 0 ? '' : line.slice(at + 2);
      if (key === 'Name') st.exists = true;
      else if (key === 'Link') st.link = val;
      else if (key === 'Status') st.status = val === 'manual' ? 'manual' : 'auto';
      else if (key === 'Value') st.value = val === 'none' ? undefined : val;
      else if (key === 'Alternative') {
        alt = { path: val, priority: 0, slaves: {} };
        st.alternatives.push(alt);
      } else if (key === 'Priority' && alt) alt.priority = Number(val);
      else if (key === 'Slaves') slaves = alt ? alt.slaves : st.slaveLinks;
    }
  }
  return st;
}

export function alternativesFact(name: string, path: string | undefined): Fact<AlternativesState> {
  const pathTest = path === undefined ? sh`:` : sh`if [ -e ${path} ]; then echo '@@path yes'; else echo '@@path no'; fi`;
  return {
    name: 'alternatives',
    command: sh`if command -v update-alternatives >/dev/null 2>&1; then echo '@@query'; LC_ALL=C update-alternatives --query ${name} 2>/dev/null; echo '@@tool'; fi; ${pathTest}`,
    parse(stdout) {
      const q = stdout.indexOf('@@query\n');
      const end = stdout.indexOf('@@tool');
      const query = q >= 0 && end > q ? stdout.slice(q + '@@query\n'.length, end) : '';
      const pathLine = /^@@path (yes|no)$/m.exec(stdout)?.[1];
      return {
        ...parseAlternativesQuery(name, query),
        tool: /^@@tool$/m.test(stdout),
        ...(pathLine === undefined ? {} : { pathExists: pathLine === 'yes' }),
      };
    },
  };
}
