// sysctl (ansible.posix): a kernel parameter in a sysctl file, and (sysctl_set) in the running
// kernel; the file is reloaded with `sysctl -p FILE` when something changed. One probe reads the
// running value and the file; the decision is Ansible's (the file's value first, then the
// running one when reload or sysctl_set asks for it), the file rewritten as Ansible rewrites it.
import { raw, sh, type ShellCommand } from '../transport/command.js';
import { combineFacts } from '../facts/combine.js';
import { fileFact, type FileState } from '../facts/file.js';
import type { Fact } from '../facts/types.js';
import { parseAnsibleBool } from '../util/booleans.js';
import { fileDiff } from '../util/diff.js';
import { FAIL_MARKER } from './runner.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { boolSchema, toBool } from './util/args.js';
import { writeFileCommand } from './util/file-ops.js';
import { defineModule } from './runner.js';

export interface SysctlArgs {
  name: string;
  value?: string | number | boolean;
  state?: 'present' | 'absent';
  reload?: boolean | string;
  sysctl_set?: boolean | string;
  ignoreerrors?: boolean | string;
  sysctl_file?: string;
}

export interface SysctlState {
  /** `sysctl -e -n NAME` (undefined when sysctl failed: no such command) */
  proc?: string;
  file: FileState;
}

export function sysctlFact(name: string, file: string): Fact<SysctlState> {
  const proc: Fact<string | undefined> = {
    name: 'sysctl-value',
    command: sh`LC_ALL=C sysctl -e -n ${name}`,
    parse: (stdout, _e, code) => (code === 0 ? stdout.replace(/\n$/, '') : undefined),
  };
  const both = combineFacts([proc, fileFact(file, { content: true, follow: true })] as const);
  return {
    name: 'sysctl',
    command: both.command,
    parse(o, e, c) {
      const [value, st] = both.parse(o, e, c);
      return value === undefined ? { file: st } : { proc: value, file: st };
    },
  };
}

/** Ansible's _parse_value: booleans as 1/0, other values trimmed. */
function parseValue(v: SysctlArgs['value']): string {
  if (v === undefined) return '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  const s = String(v);
  if (typeof v === 'string' && !/^\d+$/.test(s.trim())) {
    const b = parseAnsibleBool(s);
    if (b !== undefined) return b ? '1' : '0';
  }
  return s.trim();
}

/** Ansible's comparison: the same whitespace-separated words in the same order. */
const sameValue = (a: string | undefined, b: string): boolean => a !== undefined && a.split(/\s+/).filter(Boolean).join(' ') === b.split(/\s+/).filter(Boolean).join(' ');

/** The file's values and its lines rewritten as Ansible's fix_lines does (one `k=v` per key, comments kept). */
export function fixLines(content: string, name: string, value: string | undefined): { values: Map<string, string>; text: string } {
  const values = new Map<string, string>();
  const out: string[] = [];
  const seen = new Set<string>();
  const lines = content === '' ? [] : content.replace(/\n$/, '').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || !line.includes('=')) {
      out.push(line);
      continue;
    }
    const at = line.indexOf('=');
    const k = line.slice(0, at).trim();
    const v = line.slice(at + 1).trim();
    values.set(k, v);
    if (seen.has(k)) continue;
    seen.add(k);
    if (k !== name) out.push(`${k}=${v}`);
    else if (value !== undefined) out.push(`${k}=${value}`);
  }
  if (!seen.has(name) && value !== undefined) out.push(`${name}=${value}`);
  return { values, text: out.map((l) => `${l}\n`).join('') };
}

export function planSysctl(args: SysctlArgs, st: SysctlState, env: PlanEnv): Plan {
  const name = args.name.trim();
  const state = args.state ?? 'present';
  if (name === '') return failPlan('name cannot be blank');
  if (state === 'present' && args.value === undefined) return failPlan('value cannot be None');
  const value = parseValue(args.value);
  if (state === 'present' && value === '') return failPlan('value cannot be blank');
  const file = args.sysctl_file ?? '/etc/sysctl.conf';
  if (st.file.exists && st.file.type !== 'file') return failPlan(`${file} is not a regular file`);
  const reload = toBool(args.reload, true);
  const ignore = toBool(args.ignoreerrors);
  const content = st.file.content ?? '';
  const fixed = fixLines(content, name, state === 'present' ? value : undefined);
  const inFile = fixed.values.get(name);
  let changed = false;
  let writeFile = false;
  let setProc = false;
  const why: string[] = [];
  if (inFile === undefined && state === 'present') writeFile = true;
  else if (inFile !== undefined && state === 'absent') writeFile = true;
  else if (inFile !== undefined && inFile !== value) writeFile = true;
  else if (state === 'present' && reload && !sameValue(st.proc, value)) {
    changed = true;
    why.push(`running value ${st.proc ?? '(none)'} → ${value}`);
  }
  if (writeFile) {
    changed = true;
    why.unshift(state === 'absent' ? `${name} removed from ${file}` : `${name}=${value} in ${file}`);
  }
  if (toBool(args.sysctl_set) && state === 'present' && !sameValue(st.proc, value)) {
    changed = true;
    setProc = st.proc !== undefined;
    if (!why.some((w) => w.startsWith('running'))) why.push(`running value ${st.proc ?? '(none)'} → ${value}`);
  }
  const data = { name, value: state === 'present' ? value : undefined, state, sysctl_file: file };
  if (!changed) return noop(state === 'absent' ? `${name} is not in ${file}` : `${name} is ${value}`, data);
  const e = ignore ? '-e ' : '';
  const commands: ShellCommand[] = [];
  if (setProc) commands.push(checked(sh`sysctl ${raw(e)}-w ${`${name}=${value}`}`, `setting ${name} failed`));
  if (writeFile) commands.push(writeFileCommand(file, { exists: st.file.exists, tmpSuffix: env.tmpSuffix }));
  if (reload) commands.push(checked(sh`sysctl ${raw(e)}-p ${file}`, 'Failed to reload sysctl'));
  const plan: Plan = { commands, msg: `${env.check ? 'would set ' : ''}${why.join(', ')}${reload ? `${env.check ? ', reload' : ', reloaded'}` : ''}`, data };
  if (writeFile) {
    plan.stdin = fixed.text;
    plan.diff = [fileDiff(file, st.file.exists ? content : '', fixed.text)];
  }
  return plan;
}

/**
 * sysctl may print "setting key ...: Invalid argument" and still exit 0: Ansible fails on those
 * lines too. The output is kept for the message.
 */
function checked(cmd: ShellCommand, what: string): ShellCommand {
  return sh`{ o=$(LC_ALL=C ${cmd} 2>&1); r=$?; if [ $r -ne 0 ] || printf '%s\\n' "$o" | grep -Eq '^sysctl: setting key "[^"]+": (Invalid argument|Read-only file system)$'; then printf '%s%s: %s\\n' ${FAIL_MARKER} ${what} "$o" >&2; false; fi; }`;
}

export const sysctlModule = defineModule<SysctlArgs, SysctlState>({
  name: 'sysctl',
  schema: moduleSchema({
    properties: {
      name: { type: 'string', aliases: ['key'], description: 'the parameter, e.g. `net.ipv4.ip_forward`' },
      value: { type: ['string', 'number', 'boolean'], aliases: ['val'], description: 'its value (booleans and yes/no become 1/0); required with state: present' },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'whether the parameter is in sysctl_file' },
      reload: boolSchema('after a change, `sysctl -p sysctl_file`; also makes a running value that differs from the file count as a change', true),
      sysctl_set: boolSchema('also set the running value with `sysctl -w` when it differs', false),
      ignoreerrors: boolSchema('`sysctl -e`: unknown keys are not errors', false),
      sysctl_file: { type: 'string', default: '/etc/sysctl.conf', description: 'the file to write (e.g. /etc/sysctl.d/60-site.conf)' },
    },
    required: ['name'],
  }),
  homePaths: ['sysctl_file'],
  doc: {
    short: 'Set a kernel parameter in a sysctl file and the running kernel (ansible.posix.sysctl)',
    description:
      'One probe reads the running value (`sysctl -e -n`) and sysctl_file. As Ansible: a file value that differs (or is missing) is written, and the file rewritten with one `key=value` line per key (comments kept, duplicates dropped); with reload (default) a running value that differs also counts as a change, and after a change `sysctl -p sysctl_file` runs; sysctl_set sets the running value with `sysctl -w`. sysctl\'s "setting key ...: Invalid argument" fails the task even when sysctl exits 0. --check and --diff show the change. File attributes (mode, owner) of sysctl_file are not managed.',
    returns: { name: 'the parameter', value: 'its value as written', state: 'present or absent', sysctl_file: 'the file' },
    example: '- sysctl:\n    name: net.ipv4.ip_forward\n    value: "1"\n    sysctl_file: /etc/sysctl.d/60-forward.conf\n    sysctl_set: true',
  },
  probe: (args) => sysctlFact(args.name.trim(), args.sysctl_file ?? '/etc/sysctl.conf'),
  plan: planSysctl,
});
