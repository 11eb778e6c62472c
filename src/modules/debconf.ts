// debconf: pre-seed (or read) a package's debconf answers as Ansible's module does: read with
// debconf-show, compare (booleans in lower case, multiselect lists sorted), set with
// debconf-set-selections. A password answer is compared by its SHA-256 on the host, goes to
// debconf-set-selections on stdin only, and is masked in results, diffs and logs.
import { createHash } from 'node:crypto';
import { sh } from '../transport/command.js';
import { debconfFact, type DebconfState } from '../facts/debconf.js';
import { boolSchema, toBool } from './util/args.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface DebconfArgs {
  name: string;
  question?: string;
  vtype?: 'boolean' | 'error' | 'multiselect' | 'note' | 'password' | 'seen' | 'select' | 'string' | 'text' | 'title';
  value?: unknown;
  unseen?: boolean | string;
}

const MASK = 'NOT_LOGGING_PASSWORD';

function text(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False'; // Python's to_text
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

export function planDebconf(a: DebconfArgs, st: DebconfState, env: PlanEnv): Plan {
  const given = [a.question, a.vtype, a.value].filter((v) => v !== undefined).length;
  if (given > 0 && given < 3) return failPlan('parameters are required together: question, vtype, value');
  if (st.missing) return failPlan('Failed to find required executable "debconf-show" (Debian package debconf)');
  if (st.error !== undefined) return failPlan(st.error);
  const prev = st.selections;
  if (a.question === undefined || a.vtype === undefined) return noop(`${a.name}: ${Object.keys(prev).length} question(s)`, { current: prev });
  const q = a.question;
  const password = a.vtype === 'password';
  let value: string;
  let changed: boolean;
  if (a.vtype === 'multiselect' && Array.isArray(a.value)) {
    const wanted = a.value.map(text).sort();
    value = wanted.join(', ');
    changed = !(q in prev) || JSON.stringify(wanted) !== JSON.stringify((prev[q] ?? '').split(',').map((s) => s.trim()).sort());
  } else {
    value = text(a.value);
    if (a.vtype === 'boolean') value = value.toLowerCase();
    if (!(q in prev)) changed = true;
    else if (password) changed = createHash('sha256').update(value).digest('hex') !== st.passwordSha256;
    else changed = value !== (a.vtype === 'boolean' ? (prev[q] ?? '').toLowerCase() : prev[q]);
  }
  const shown = password ? MASK : value;
  const before = q in prev ? (password ? MASK : prev[q]!) : '';
  if (!changed) return noop(`${a.name} ${q}: already ${password ? 'set' : JSON.stringify(value)}`, { current: prev });
  const p: Plan = {
    // the answer travels on stdin (Ansible's run_command data: one line)
    commands: [toBool(a.unseen) ? sh`debconf-set-selections -u` : sh`debconf-set-selections`],
    stdin: `${a.name} ${q} ${a.vtype} ${value}\n`,
    msg: password ? `${a.name} ${q}: password ${q in prev ? 'changed' : 'set'}` : `${a.name} ${q}: ${q in prev ? `${JSON.stringify(before)} → ` : ''}${JSON.stringify(value)}`,
    data: { current: { [q]: shown }, previous: { [q]: before } },
  };
  if (password && value !== '') p.secrets = [value];
  if (env.diff) p.diff = [{ path: `debconf ${a.name}`, before: `${q}: ${before}\n`, after: `${q}: ${shown}\n` }];
  return p;
}

export const debconfModule = defineModule<DebconfArgs, DebconfState>({
  name: 'debconf',
  // a password answer is a secret wherever it would show (events, logs, errors); other answers are not
  secretArgs: (a) => (a.vtype === 'password' ? ['value'] : []),
  schema: moduleSchema({
    properties: {
      name: { type: 'string', minLength: 1, aliases: ['pkg'], description: 'the package the question belongs to' },
      question: { type: 'string', aliases: ['selection', 'setting'], description: 'the debconf question (`locales/default_environment_locale`)' },
      vtype: { type: 'string', enum: ['boolean', 'error', 'multiselect', 'note', 'password', 'seen', 'select', 'string', 'text', 'title'], description: 'the type of the answer' },
      value: { aliases: ['answer'], description: 'the answer (multiselect: a list, or one comma-separated string)' },
      unseen: boolSchema('do not mark the question seen (`debconf-set-selections -u`)', false),
    },
    required: ['name'],
  }),
  doc: {
    short: 'Pre-seed or read a package\'s debconf answers',
    description:
      'Reads the package\'s questions with `debconf-show` (one command), compares as Ansible does (booleans case-insensitively, multiselect lists in any order) and sets a differing answer with `debconf-set-selections` (the answer on stdin). Without question, the current answers are returned. A password answer is compared by its SHA-256 on the host (the stored password is never sent to the controller) and is masked in `current`/`previous`, the diff, the output and the logs. Like Ansible, this only changes the debconf database: reconfigure the package (dpkg-reconfigure) to apply it.',
    returns: {
      current: 'question → answer now (all of the package\'s answers when no question is given); passwords masked',
      previous: 'question → answer before (when changed); passwords masked',
    },
    example: '- debconf:\n    name: tzdata\n    question: tzdata/Areas\n    value: Europe\n    vtype: select',
    notes: ['A question no installed package owns is not listed by debconf-show, so it is set again on every run (as with Ansible).'],
  },
  probe: (a) => debconfFact(a.name, a.vtype === 'password' && a.question !== undefined ? a.question : undefined),
  plan: planDebconf,
});
