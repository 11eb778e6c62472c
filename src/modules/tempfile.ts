// tempfile: a new temporary file or directory on the host (mktemp: mode 0600/0700, owned by the
// task's user), its path registered. Like Ansible's module it does not run in --check (it could
// only invent a path); the task is skipped there with Ansible's message.
import { sh } from '../transport/command.js';
import { failPlan, noCheckMode, type CommandOutcome, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface TempfileArgs {
  state?: 'file' | 'directory';
  path?: string;
  prefix?: string;
  suffix?: string;
}

export function planTempfile(args: TempfileArgs, _state: undefined, env: PlanEnv): Plan {
  if (env.check) return noCheckMode('tempfile');
  const prefix = args.prefix ?? 'ansible.';
  if (prefix.includes('/') || (args.suffix ?? '').includes('/')) return failPlan('tempfile: prefix and suffix cannot contain a "/"');
  const dir = args.path !== undefined ? sh`--tmpdir=${args.path}` : sh`--tmpdir`;
  const kind = (args.state ?? 'file') === 'directory' ? sh`-d ` : sh``;
  return {
    commands: [sh`mktemp ${kind}${dir} --suffix=${args.suffix ?? ''} -- ${`${prefix}XXXXXXXX`}`],
    msg: `create a temporary ${args.state ?? 'file'}`,
    after: (o: CommandOutcome): Plan => {
      if (!o.ok) return failPlan(`tempfile: mktemp failed: ${o.stderr.trim() || `exit ${o.exitCode ?? 'none'}`}`);
      const path = o.stdout.trim();
      return { commands: [], changed: true, msg: path, data: { path } };
    },
  };
}

export const tempfileModule = defineModule<TempfileArgs, undefined>({
  name: 'tempfile',
  schema: moduleSchema({
    properties: {
      state: { type: 'string', enum: ['file', 'directory'], default: 'file', description: 'a file or a directory' },
      path: { type: 'string', description: 'the directory it is created in (default: $TMPDIR or /tmp on the host)' },
      prefix: { type: 'string', default: 'ansible.', description: 'start of its name' },
      suffix: { type: 'string', default: '', description: 'end of its name' },
    },
  }),
  doc: {
    short: 'Create a temporary file or directory on the host',
    description: 'mktemp on the host: the name is PREFIX + 8 random characters + SUFFIX, the mode 0600 (file) or 0700 (directory). It always reports a change. Under --check the task is skipped, as Ansible\'s module does not support check mode.',
    returns: { path: 'the path of the file or directory created' },
    example: '- tempfile:\n    state: directory\n    suffix: build\n  register: build_dir',
  },
  plan: planTempfile,
});
