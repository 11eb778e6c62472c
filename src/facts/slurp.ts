// A whole file's bytes, base64-encoded on the host (so any byte survives the text channel), or
// why it cannot be read. One command; it never changes the host.
import { sh } from '../transport/command.js';
import type { Fact } from './types.js';

export type SlurpState = { kind: 'content'; base64: string } | { kind: 'missing' | 'directory' | 'unreadable' } | { kind: 'error'; error: string };

export function parseSlurp(stdout: string, stderr: string, exitCode: number | null): SlurpState {
  const first = stdout.slice(0, stdout.indexOf('\n') + 1 || undefined).trim();
  if (first === '@@missing') return { kind: 'missing' };
  if (first === '@@directory') return { kind: 'directory' };
  if (first === '@@unreadable') return { kind: 'unreadable' };
  if (first === '@@content' && exitCode === 0) return { kind: 'content', base64: stdout.slice(stdout.indexOf('\n') + 1).replace(/\s+/g, '') };
  return { kind: 'error', error: stderr.trim() || `could not read the file (exit ${exitCode ?? 'none'})` };
}

export function slurpFact(path: string): Fact<SlurpState> {
  return {
    name: 'slurp',
    command: sh`if [ -d ${path} ]; then echo '@@directory'; elif [ ! -e ${path} ]; then echo '@@missing'; elif [ ! -r ${path} ]; then echo '@@unreadable'; else echo '@@content' && base64 -w0 < ${path}; fi`,
    parse: parseSlurp,
  };
}
