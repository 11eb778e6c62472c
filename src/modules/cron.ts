// cron: a job (or an environment variable) in a user's crontab or a file in /etc/cron.d, named
// by Ansible's `#Ansible: NAME` comment line, so a crontab managed by Ansible and by runbook is
// the same crontab both ways. One probe reads the crontab; the edit is Ansible's, made on the
// controller; the crontab is written (crontab -, or the cron file atomically) only on change.
import { posix } from 'node:path';
import { sh } from '../transport/command.js';
import { crontabFact, type CrontabState } from '../facts/cron.js';
import { boolSchema, toBool } from './util/args.js';
import { writeFileCommand } from './util/file-ops.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import { fileDiff } from '../util/diff.js';

export interface CronArgs {
  name: string;
  user?: string;
  job?: string;
  cron_file?: string;
  state?: 'present' | 'absent';
  backup?: boolean | string;
  minute?: string;
  hour?: string;
  day?: string;
  month?: string;
  weekday?: string;
  special_time?: 'reboot' | 'yearly' | 'annually' | 'monthly' | 'weekly' | 'daily' | 'hourly';
  disabled?: boolean | string;
  env?: boolean | string;
  insertafter?: string;
  insertbefore?: string;
}

const MARK = '#Ansible: ';

/** The cron file's path: relative names live in /etc/cron.d (Ansible). */
export function cronFilePath(cronFile: string): string {
  return posix.isAbsolute(cronFile) ? cronFile : posix.join('/etc/cron.d', cronFile);
}

/** The job line Ansible writes (get_cron_job). */
export function cronJobLine(a: CronArgs, inFile: boolean): string {
  const job = (a.job ?? '').replace(/^[\r\n]+|[\r\n]+$/g, '');
  const prefix = toBool(a.disabled) ? '#' : '';
  const user = inFile ? ` ${a.user ?? ''}` : '';
  if (a.special_time !== undefined) return `${prefix}@${a.special_time}${user} ${job}`;
  return `${prefix}${a.minute ?? '*'} ${a.hour ?? '*'} ${a.day ?? '*'} ${a.month ?? '*'} ${a.weekday ?? '*'}${user} ${job}`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface CronEdit {
  lines: string[];
  changed: boolean;
  /** what happened, for a person */
  what: string;
}

/** Ansible's find_job: by the `#Ansible: NAME` line, else an exact job line (which is then adopted). */
function findJob(lines: string[], name: string, job?: string): { at: number; line: string; adopted?: boolean } | undefined {
  for (let i = 0; i + 1 < lines.length; i++) {
    if (lines[i]!.startsWith(MARK) && lines[i]!.slice(MARK.length) === name) return { at: i, line: lines[i + 1]! };
  }
  if (job !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== job) continue;
      const prev = lines.at(i - 1) ?? '';
      if (!prev.startsWith(MARK)) {
        lines.splice(i, 0, MARK + name);
        return { at: i, line: job, adopted: true };
      }
      if (prev === `${MARK}None`) {
        lines[i - 1] = MARK + name;
        return { at: i - 1, line: job, adopted: true };
      }
    }
  }
  return undefined;
}

/** Replace (or, with job undefined, remove) every `#Ansible: NAME` entry (Ansible's _update_job). */
function updateJob(lines: string[], name: string, job: string | undefined): string[] {
  const out: string[] = [];
  let comment: string | undefined;
  for (const l of lines) {
    if (comment !== undefined) {
      if (job !== undefined) out.push(comment, job);
      comment = undefined;
    } else if (l === MARK + name) comment = l;
    else out.push(l);
  }
  return out;
}

/** The pure edit of the crontab's lines (Ansible's cron main), or an error. */
export function editCrontab(text: string, a: CronArgs, inFile: boolean): CronEdit | { error: string } {
  let lines = text === '' ? [] : text.split(/\r?\n/);
  if (text.endsWith('\n')) lines.pop();
  const present = (a.state ?? 'present') === 'present';
  let changed = false;
  let what = '';
  if (toBool(a.env)) {
    if (a.name.includes(' ')) return { error: 'Invalid name for environment variable' };
    const decl = `${a.name}="${a.job ?? ''}"`;
    const re = new RegExp(`^${escapeRe(a.name)}=`);
    const at = lines.findIndex((l) => re.test(l));
    if (present) {
      if (at < 0) {
        const other = a.insertafter ?? a.insertbefore;
        if (other === undefined) lines.unshift(decl);
        else {
          const o = lines.findIndex((l) => new RegExp(`^${escapeRe(other)}=`).test(l));
          if (o < 0) return { error: `Variable named '${other}' not found.` };
          lines.splice(a.insertafter !== undefined ? o + 1 : o, 0, decl);
        }
        changed = true;
        what = `variable ${a.name} added`;
      } else if (lines[at] !== decl) {
        lines = lines.map((l) => (re.test(l) ? decl : l));
        changed = true;
        what = `variable ${a.name} updated`;
      } else what = `variable ${a.name} already set`;
    } else if (at >= 0) {
      lines = lines.filter((l) => !re.test(l));
      changed = true;
      what = `variable ${a.name} removed`;
    } else what = `no variable ${a.name}`;
  } else if (present) {
    const job = cronJobLine(a, inFile);
    const old = findJob(lines, a.name, job);
    if (!old) {
      lines.push(MARK + a.name, job);
      changed = true;
      what = `job "${a.name}" added`;
    } else if (old.line !== job || old.adopted) {
      lines = updateJob(lines, a.name, job);
      changed = true;
      what = old.adopted ? `job "${a.name}" named (it was there without its #Ansible line)` : `job "${a.name}" updated`;
    } else what = `job "${a.name}" already as wanted`;
  } else if (findJob(lines, a.name)) {
    lines = updateJob(lines, a.name, undefined);
    changed = true;
    what = `job "${a.name}" removed`;
  } else what = `no job "${a.name}"`;
  // no change, but an existing crontab needs its final newline
  if (!changed && text !== '' && !/[\r\n]$/.test(text)) {
    changed = true;
    what += '; final newline added';
  }
  return { lines, changed, what };
}

export function renderCrontab(lines: readonly string[]): string {
  const r = lines.join('\n');
  return r === '' ? '' : `${r.replace(/[\r\n]+$/, '')}\n`;
}

const names = (lines: readonly string[]) => ({
  jobs: lines.filter((l) => l.startsWith(MARK)).map((l) => l.slice(MARK.length)),
  envs: lines.filter((l) => /^\S+=/.test(l)).map((l) => l.split('=')[0]!),
});

export function planCron(a: CronArgs, st: CrontabState, env: PlanEnv): Plan {
  const file = a.cron_file !== undefined ? cronFilePath(a.cron_file) : undefined;
  const present = (a.state ?? 'present') === 'present';
  const isEnv = toBool(a.env);
  if (a.cron_file === '/etc/crontab') return failPlan('Will not manage /etc/crontab via cron_file, see documentation.');
  const timeFields = [a.minute, a.hour, a.day, a.month, a.weekday];
  if (a.special_time !== undefined && timeFields.some((f) => f !== undefined && f !== '*')) return failPlan('You must specify time and date fields or special time.');
  if (present) {
    if (file !== undefined && a.user === undefined) return failPlan('To use cron_file=... parameter you must specify user=... as well');
    if (a.job === undefined) return failPlan("You must specify 'job' to install a new cron job or variable");
    if ((a.insertafter !== undefined || a.insertbefore !== undefined) && !isEnv) return failPlan('Insertafter and insertbefore parameters are valid only with env=yes');
  }
  if (st.noCrontab) return failPlan('crontab is not installed on the host (Debian: the `cron` package); it is needed to manage a user\'s crontab');
  if (st.error) return failPlan(`cannot read the crontab: ${st.error}`);
  const warnings: string[] = [];
  if (file !== undefined && !/^[A-Z0-9_-]+$/i.test(posix.basename(file))) {
    warnings.push(`Filename portion of cron_file ("${posix.basename(file)}") should consist solely of upper- and lower-case letters, digits, underscores, and hyphens`);
  }
  if (present && !isEnv && /[\r\n]/.test((a.job ?? '').replace(/^[\r\n]+|[\r\n]+$/g, ''))) warnings.push('Job should not contain line breaks');
  const edit = editCrontab(st.text, a, file !== undefined);
  if ('error' in edit) return failPlan(edit.error);
  const after = renderCrontab(edit.lines);
  const where = file ?? (a.user !== undefined ? `crontab for user "${a.user}"` : 'crontab');
  const data: Record<string, unknown> = { ...names(edit.lines) };
  if (file !== undefined) data.cron_file = a.cron_file;
  const diff = env.diff ? [fileDiff(where, st.text, after)] : undefined;
  if (!edit.changed) {
    const p = noop(`${where}: ${edit.what}`, data);
    if (warnings.length) p.warnings = warnings;
    return p;
  }
  const commands = [];
  if (toBool(a.backup) && st.exists) {
    const backup = `/tmp/crontab.${env.tmpSuffix}`;
    data.backup_file = backup;
    // read again on the host: the old crontab never travels on a command line
    const list = a.user !== undefined ? sh`if [ "$(id -un)" = ${a.user} ]; then crontab -l; else crontab -u ${a.user} -l; fi` : sh`crontab -l`;
    commands.push(file !== undefined ? sh`cp -p -- ${file} ${backup}` : sh`(umask 077; set -C; ${list} > ${backup})`);
  }
  // a cron file left without jobs or variables is removed (Ansible, state=absent)
  if (file !== undefined && !present && !isEnv && edit.lines.every((l) => l.trim() === '')) {
    const p: Plan = { commands: [...commands, sh`rm -f -- ${file}`], msg: `${where}: ${edit.what}; the file is empty now: removed`, data: { cron_file: a.cron_file, state: 'absent' } };
    if (env.diff) p.diff = [fileDiff(file, st.text, '')];
    return p;
  }
  if (file !== undefined) {
    commands.push(writeFileCommand(file, { exists: st.exists, tmpSuffix: env.tmpSuffix, ...(st.exists ? {} : { mode: '0644' }) }));
  } else {
    const install = a.user !== undefined ? sh`if [ "$(id -un)" = ${a.user} ]; then crontab -; else crontab -u ${a.user} -; fi` : sh`crontab -`;
    commands.push(install);
  }
  const p: Plan = { commands, stdin: after, msg: `${where}: ${edit.what}`, data };
  if (diff) p.diff = diff;
  if (warnings.length) p.warnings = warnings;
  return p;
}

export const cronModule = defineModule<CronArgs, CrontabState>({
  name: 'cron',
  schema: moduleSchema({
    properties: {
      name: { type: 'string', minLength: 1, description: 'the job\'s name (its `#Ansible: NAME` line), or with env: yes the variable\'s name' },
      user: { type: 'string', description: 'whose crontab (default: the connecting or become user); with cron_file the user the job runs as' },
      job: { type: 'string', aliases: ['value'], description: 'the command to run (with env: yes the variable\'s value)' },
      cron_file: { type: 'string', description: 'a file in /etc/cron.d (relative name) or an absolute path, instead of a user\'s crontab; needs user' },
      state: { type: 'string', enum: ['present', 'absent'], default: 'present', description: 'whether the job (or variable) must be there' },
      backup: boolSchema('keep a copy of the crontab as it was (in /tmp) when it changes', false),
      minute: { type: ['string', 'integer'], default: '*', description: 'minute field' },
      hour: { type: ['string', 'integer'], default: '*', description: 'hour field' },
      day: { type: ['string', 'integer'], default: '*', aliases: ['dom'], description: 'day-of-month field' },
      month: { type: ['string', 'integer'], default: '*', description: 'month field' },
      weekday: { type: ['string', 'integer'], default: '*', aliases: ['dow'], description: 'day-of-week field' },
      special_time: { type: 'string', enum: ['reboot', 'yearly', 'annually', 'monthly', 'weekly', 'daily', 'hourly'], description: '`@reboot`, `@daily`, ... instead of the time fields' },
      disabled: boolSchema('write the job commented out (state=present only)', false),
      env: boolSchema('manage an environment variable line `NAME="job"` instead of a job', false),
      insertafter: { type: 'string', description: 'env: yes: put a new variable after this variable' },
      insertbefore: { type: 'string', description: 'env: yes: put a new variable before this variable' },
    },
    required: ['name'],
    extra: { not: { required: ['insertafter', 'insertbefore'] } },
  }),
  doc: {
    short: 'Manage a cron job or variable in a user\'s crontab or a /etc/cron.d file',
    description:
      'Jobs are found by Ansible\'s `#Ansible: NAME` comment line (a job line that matches exactly but has no comment is adopted and named, as Ansible does), so the same crontab can be managed by Ansible and runbook. One probe reads the crontab (`crontab -l`, or the file); it is written back (`crontab -`, or the file atomically) only when it changes. A cron file left without jobs by state=absent is removed.',
    returns: {
      jobs: 'the names of all `#Ansible:` jobs in the crontab afterwards',
      envs: 'the names of all variables in the crontab afterwards',
      cron_file: 'the cron_file argument (when given)',
      backup_file: 'where the old crontab was saved (backup: yes and it changed)',
    },
    example: '- cron:\n    name: renew certificates\n    minute: "17"\n    hour: "3"\n    job: certbot renew -q\n    user: root\n    cron_file: certbot-renew',
    notes: ['User crontabs need the crontab program on the host (Debian package `cron`).', 'Time fields are not checked for cron syntax (Ansible does not either).'],
  },
  probe: (a) => crontabFact({ user: a.user, cronFile: a.cron_file !== undefined ? cronFilePath(a.cron_file) : undefined }),
  plan: planCron,
});
