// getent: a database of the host's name service (passwd, group, hosts, services, ...) as the
// fact getent_<database>, as Ansible's getent module returns it: each line split (at `:` for
// passwd, shadow, group and gshadow, else at whitespace, or at `split`), keyed by its first
// field; a key found more than once holds a list of the records.
import { getentFact, type GetentResult } from '../facts/getent.js';
import { failPlan, type Plan } from './contract.js';
import { defineModule } from './runner.js';
import { boolSchema, toBool } from './util/args.js';
import { moduleSchema } from './util/schema.js';

export interface GetentArgs {
  database: string;
  key?: string;
  service?: string;
  split?: string;
  fail_key?: boolean;
}

const COLON = new Set(['passwd', 'shadow', 'group', 'gshadow']);

/** Python's str.split: at every `sep`, or (no sep) at runs of whitespace with empty ends dropped. */
function pySplit(line: string, sep: string | undefined): string[] {
  if (sep !== undefined) return line.split(sep);
  return line.split(/\s+/).filter((x) => x !== '');
}

/** getent's output as Ansible's dict: first field → the other fields (a list of those lists for a repeated key). */
export function getentRecords(stdout: string, split: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [first = '', ...rest] = pySplit(line, split);
    const n = seen.get(first) ?? 0;
    if (n === 0) out[first] = rest;
    else if (n === 1) out[first] = [out[first], rest];
    else (out[first] as unknown[]).push(rest);
    seen.set(first, n + 1);
  }
  return out;
}

export function planGetent(args: GetentArgs, r: GetentResult): Plan {
  if (args.split === '') return failPlan('Invalid split value. The value must be a non-empty string');
  const split = args.split ?? (COLON.has(args.database) ? ':' : undefined);
  const tree = `getent_${args.database}`;
  if (r.rc === 0) {
    const records = getentRecords(r.stdout, split);
    const n = Object.keys(records).length;
    return { commands: [], changed: false, msg: `${n} ${n === 1 ? 'entry' : 'entries'} of ${args.database}`, facts: { ansible_facts: { [tree]: records } } };
  }
  if (r.rc === 2) {
    const msg = 'One or more supplied key could not be found in the database.';
    if (args.fail_key !== undefined && !toBool(args.fail_key)) {
      return { commands: [], changed: false, msg, facts: { ansible_facts: { [tree]: { [args.key ?? '']: null } } } };
    }
    return failPlan(msg);
  }
  if (r.rc === 1) return failPlan('Missing arguments, or database unknown.');
  if (r.rc === 3) return failPlan('Enumeration not supported on this database.');
  if (r.rc === 127) return failPlan('Failed to find required executable "getent" in paths');
  return failPlan(`Unexpected failure! ${r.stderr.trim()}`.trim());
}

export const getentModule = defineModule<GetentArgs, GetentResult>({
  name: 'getent',
  schema: moduleSchema({
    properties: {
      database: { type: 'string', minLength: 1, description: 'the getent database: passwd, group, hosts, services, shadow, ...' },
      key: { type: 'string', description: 'the entry to return; without it the whole database (where it can be enumerated)' },
      service: { type: 'string', description: 'the NSS service to ask instead of nsswitch.conf\'s (`getent -s`)' },
      split: { type: 'string', description: 'where to split a record into fields (default `:` for passwd, shadow, group, gshadow, else whitespace)' },
      fail_key: boolSchema('fail when the key is not found (else getent_<database> maps it to null)', true),
    },
    required: ['database'],
  }),
  doc: {
    short: 'Read a name-service database into getent_<database> facts',
    description:
      'As Ansible\'s getent: `getent DATABASE [KEY] [-s SERVICE]` runs on the host; each line is split into fields (at `:` for passwd, shadow, group and gshadow, else at whitespace, or at `split`) and stored under its first field in the fact `getent_DATABASE` (also `ansible_facts.getent_DATABASE`); a key that appears more than once holds a list of its records. A missing key fails with Ansible\'s message unless fail_key is false (then the key maps to null). Never a change; runs in --check.',
    returns: { ansible_facts: '`getent_<database>`: first field → list of the other fields' },
    example: '- getent:\n    database: passwd\n    key: root\n- debug:\n    msg: "root\'s shell is {{ getent_passwd.root[5] }}"',
  },
  probe: (args) => getentFact(args.database, args.key, args.service),
  plan: planGetent,
});
