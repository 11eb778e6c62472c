// Where get_url would write: the destination (and, when it may be a directory, DEST/NAME), each
// with its stat and, on request, its digest in the checksum's algorithm. One read-only command.
import { raw, sh } from '../transport/command.js';
import { combineFacts } from './combine.js';
import { fileFact, type FileState } from './file.js';
import type { Fact } from './types.js';

export type DigestAlgo = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export interface UrlDestState {
  dest: FileState;
  /** DEST/NAME, when dest may be a directory */
  inDir?: FileState;
  /** digest of dest / of inDir (regular files only), in the asked algorithm */
  destDigest?: string;
  inDirDigest?: string;
}

function digestFact(path: string, algo: DigestAlgo | undefined): Fact<string | undefined> {
  return {
    name: 'digest',
    command: algo ? sh`if [ -f ${path} ] && [ -r ${path} ]; then ${raw(`${algo}sum`)} < ${path}; fi` : sh`:`,
    parse: (stdout) => /^([0-9a-f]+)\s/.exec(stdout)?.[1],
  };
}

export function urlDestFact(dest: string, inDir: string | undefined, algo: DigestAlgo | undefined): Fact<UrlDestState> {
  const opts = { follow: true };
  const facts = [fileFact(dest, opts), digestFact(dest, algo), ...(inDir !== undefined ? [fileFact(inDir, opts), digestFact(inDir, algo)] : [])] as const;
  const all = combineFacts(facts);
  return {
    name: 'url-dest',
    command: all.command,
    parse(stdout, stderr, code) {
      const [d, dd, i, id] = all.parse(stdout, stderr, code) as [FileState, string | undefined, FileState | undefined, string | undefined];
      const st: UrlDestState = { dest: d };
      if (dd !== undefined) st.destDigest = dd;
      if (i !== undefined) st.inDir = i;
      if (id !== undefined) st.inDirDigest = id;
      return st;
    },
  };
}
