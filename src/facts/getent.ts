// getent's answer for one database (and key): its exit code and output, as the getent module
// reads them. Reading a database never changes the host.
import { sh } from '../transport/command.js';
import type { Fact } from './types.js';

export interface GetentResult {
  /** getent's exit code: 0 found, 1 bad arguments or database, 2 key not found, 3 no enumeration; 127 no getent */
  rc: number;
  stdout: string;
  stderr: string;
}

export function getentFact(database: string, key?: string, service?: string): Fact<GetentResult> {
  const args = [database, ...(key !== undefined ? [key] : []), ...(service !== undefined ? ['-s', service] : [])];
  return {
    name: 'getent',
    command: sh`getent ${args}`,
    parse: (stdout, stderr, code) => ({ rc: code ?? -1, stdout, stderr }),
  };
}
