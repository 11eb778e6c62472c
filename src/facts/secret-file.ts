// A file that holds a secret, described without its content ever leaving the host: whether it
// exists, its mode, owner and group, and the SHA-256 of its content (compared with the hash of
// the wanted content, computed on the controller).
import { sh } from '../transport/command.js';
import type { Fact } from './types.js';

export type SecretFileState = { exists: false } | { exists: true; mode: string; owner: string; group: string; sha256: string };

export function secretFileFact(path: string): Fact<SecretFileState> {
  return {
    name: 'secret_file',
    command: sh`if [ -f ${path} ]; then echo "@@file $(stat -c '%a %U %G' -- ${path}) $(sha256sum < ${path} | cut -d ' ' -f 1)"; else echo @@absent; fi`,
    parse: (stdout) => parseSecretFile(stdout),
  };
}

export function parseSecretFile(stdout: string): SecretFileState {
  const m = /^@@file (\d+) (\S+) (\S+) ([0-9a-f]{64})$/m.exec(stdout);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return { exists: false };
  return { exists: true, mode: m[1], owner: m[2], group: m[3], sha256: m[4] };
}
