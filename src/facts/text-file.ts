// A text file to edit (blockinfile, replace): its state and content, and the path a write must
// go to: a symbolic link is followed to the real file, as Ansible's editing modules do, so an
// edit never replaces the link itself with a regular file. One round trip.
import { sh } from '../transport/command.js';
import { combineFacts } from './combine.js';
import { fileFact, type FileState } from './file.js';
import type { Fact } from './types.js';

export interface TextFileState extends FileState {
  /** where a symbolic link at the path leads (absolute), when the path is one */
  realPath?: string;
}

export function textFileFact(path: string): Fact<TextFileState> {
  const real: Fact<string | undefined> = {
    name: 'realpath',
    command: sh`if [ -L ${path} ]; then readlink -f -- ${path} || :; fi`,
    parse: (stdout) => stdout.replace(/\n$/, '') || undefined,
  };
  const both = combineFacts([fileFact(path, { content: true, follow: true }), real] as const);
  return {
    name: 'text-file',
    command: both.command,
    parse(stdout, stderr, code) {
      const [st, realPath] = both.parse(stdout, stderr, code);
      return realPath !== undefined ? { ...st, realPath } : st;
    },
  };
}
