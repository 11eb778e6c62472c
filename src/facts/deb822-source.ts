// What deb822_repository needs to know: its .sources file (content and mode), whether the
// signed_by value names an existing file on the host, and which key files of the repository's
// name exist in /etc/apt/keyrings. One command.
import { sh } from '../transport/command.js';
import { parseSections } from './sections.js';
import type { Fact } from './types.js';

export interface Deb822State {
  /** the .sources file's content, undefined when there is none */
  content?: string;
  /** its octal mode (644) */
  mode?: string;
  /** signed_by is the path of an existing file on the host */
  signedByFile: boolean;
  /** /etc/apt/keyrings/NAME.asc and NAME.gpg that exist */
  keyFiles: string[];
}

export function parseDeb822State(stdout: string): Deb822State {
  const st: Deb822State = { signedByFile: false, keyFiles: [] };
  for (const s of parseSections(stdout)) {
    if (s.name === 'src') {
      st.mode = s.args;
      // framed by the marker line and a newline + '@@end': the lines joined are the content exactly
      st.content = s.lines.join('\n');
    } else if (s.name === 'signed-by-file') st.signedByFile = true;
    else if (s.name === 'key') st.keyFiles.push(s.args);
  }
  return st;
}

/** The probe for the .sources file `dest`, the key files `keys`, and `signedBy` when it may be a path. */
export function deb822Fact(dest: string, keys: readonly string[], signedBy?: string): Fact<Deb822State> {
  const checkSigned = signedBy !== undefined ? sh`if [ -f ${signedBy} ]; then echo '@@signed-by-file'; fi; ` : sh``;
  return {
    name: 'deb822-source',
    command: sh`if [ -f ${dest} ]; then printf '@@src %s\\n' "$(stat -Lc %a -- ${dest})"; cat -- ${dest}; printf '\\n@@end\\n'; fi; ${checkSigned}for k in ${keys}; do if [ -e "$k" ]; then printf '@@key %s\\n' "$k"; fi; done`,
    parse: (stdout) => parseDeb822State(stdout),
  };
}
