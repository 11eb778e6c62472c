// The one-line APT sources Ansible's apt_repository reads: /etc/apt/sources.list and every
// /etc/apt/sources.list.d/*.list (a symlink is read through, and written through, as Ansible
// does), each line parsed as Ansible's SourcesList._parse does, plus the host's codename (PPA
// lines). One command; deb822 `.sources` files are not read (apt_repository does not either).
import { sh } from '../transport/command.js';
import { parseSections } from './sections.js';
import type { Fact } from './types.js';

export interface SourceLine {
  /** a `deb`/`deb-src` line (else a comment or blank line, kept as it is) */
  valid: boolean;
  /** not commented out */
  enabled: boolean;
  /** the source with whitespace runs collapsed (for an invalid line: its text) */
  source: string;
  /** what followed a `#` inside the line */
  comment: string;
}

export interface SourcesFile {
  path: string;
  /** octal permissions, e.g. 644 */
  mode: string;
  /** a symlink's target (written instead of replacing the link) */
  link?: string;
  lines: SourceLine[];
}

export interface AptSourcesState {
  files: SourcesFile[];
  /** VERSION_CODENAME of /etc/os-release ('' when unknown) */
  codename: string;
}

export const SOURCES_LIST = '/etc/apt/sources.list';
export const SOURCES_DIR = '/etc/apt/sources.list.d';

const VALID_TYPES = new Set(['deb', 'deb-src']);

/** Ansible's SourcesList._parse of one line. */
export function parseSourceLine(text: string): SourceLine {
  let line = text.trim();
  let enabled = true;
  let comment = '';
  if (line.startsWith('#')) {
    enabled = false;
    line = line.slice(1);
  }
  const i = line.indexOf('#');
  if (i > 0) {
    comment = line.slice(i + 1).trim();
    line = line.slice(0, i);
  }
  let source = line.trim();
  let valid = false;
  if (source !== '') {
    const chunks = source.split(/\s+/);
    if (VALID_TYPES.has(chunks[0]!)) {
      valid = true;
      source = chunks.join(' ');
    }
  }
  return { valid, enabled, source, comment };
}

/** A parsed line as Ansible writes it back. */
export function dumpSourceLine(l: SourceLine): string {
  return `${l.enabled ? '' : '# '}${l.source}${l.comment ? ` # ${l.comment}` : ''}\n`;
}

export function parseAptSources(stdout: string): AptSourcesState {
  const files: SourcesFile[] = [];
  let codename = '';
  let link: string | undefined;
  let current: SourcesFile | undefined;
  for (const s of parseSections(stdout)) {
    if (s.name === 'codename') codename = (s.lines[0] ?? '').trim();
    else if (s.name === 'link') link = s.args;
    else if (s.name === 'src') {
      const sp = s.args.indexOf(' ');
      current = { path: s.args.slice(sp + 1), mode: s.args.slice(0, sp), lines: s.lines.map(parseSourceLine) };
      if (link !== undefined) current.link = link;
      link = undefined;
      files.push(current);
    } else if (s.name === 'end') current = undefined;
  }
  return { files, codename };
}

export const aptSourcesFact: Fact<AptSourcesState> = {
  name: 'apt-sources',
  // `@@end` closes each file's content so blank last lines are kept exactly
  command: sh`echo '@@codename'; (. /etc/os-release 2>/dev/null; echo "\${VERSION_CODENAME:-}"); for f in ${SOURCES_LIST} ${SOURCES_DIR}/*.list; do [ -f "$f" ] || continue; if [ -L "$f" ]; then printf '@@link %s\\n' "$(readlink -f -- "$f")"; fi; printf '@@src %s %s\\n' "$(stat -Lc %a -- "$f")" "$f"; cat -- "$f"; [ -z "$(tail -c1 -- "$f")" ] || echo; echo '@@end'; done`,
  parse: (stdout) => parseAptSources(stdout),
};
