// A file to fetch: its sha1 on the host and, only when that differs from the copy the controller
// already has, its bytes (base64), all in one read-only command, so an unchanged fetch costs one
// round trip and moves no content.
import { sh } from '../transport/command.js';
import type { Fact } from './types.js';

export type FetchState =
  | { kind: 'missing' | 'directory' | 'unreadable' }
  | { kind: 'error'; error: string }
  /** base64 is undefined when the host's sha1 equals the controller's copy */
  | { kind: 'file'; sha1: string; base64?: string };

export function parseFetch(stdout: string, stderr: string, exitCode: number | null): FetchState {
  const lines = stdout.split('\n');
  const first = lines[0] ?? '';
  if (first === '@@missing') return { kind: 'missing' };
  if (first === '@@directory') return { kind: 'directory' };
  if (first === '@@unreadable') return { kind: 'unreadable' };
  const m = /^@@sum ([0-9a-f]{40})$/.exec(first);
  if (!m || exitCode !== 0) return { kind: 'error', error: stderr.trim() || `could not read the file (exit ${exitCode ?? 'none'})` };
  if (lines[1] === '@@content') return { kind: 'file', sha1: m[1]!, base64: lines.slice(2).join('').replace(/\s+/g, '') };
  return { kind: 'file', sha1: m[1]! };
}

/** `known`: the sha1 of the controller's copy (undefined when there is none). */
export function fetchFact(src: string, known: string | undefined): Fact<FetchState> {
  return {
    name: 'fetch',
    command: sh`if [ -d ${src} ]; then echo '@@directory'; elif [ ! -e ${src} ]; then echo '@@missing'; elif [ ! -r ${src} ]; then echo '@@unreadable'; else s=$(sha1sum < ${src}) && s=\${s%% *} && printf '@@sum %s\\n' "$s" && if [ "$s" != ${known ?? 'none'} ]; then echo '@@content' && base64 -w0 < ${src}; fi; fi`,
    parse: parseFetch,
  };
}
