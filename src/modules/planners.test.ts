// Module tests as data (pyinfra's tests/operations/*.json): each file under
// test/fixtures/modules/<module>/ gives arguments and the probed state, and the exact commands
// the planner must produce (none when nothing has to change), whether it changes or fails, and
// the message. One test per file.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planFile } from './file.js';
import { planCopy } from './copy.js';
import { planLineinfile } from './lineinfile.js';
import { planService } from './service.js';
import { planSnap } from './snap.js';
import { planApt } from './apt.js';
import { planCommand } from './command.js';
import { planFirewalld } from './firewalld.js';
import { planRfc2136Credentials } from './rfc2136-credentials.js';
import { planChanges, type Plan, type PlanEnv } from './contract.js';
import { joinCommands } from './runner.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = join(root, 'test/fixtures/modules');

interface Case {
  description: string;
  args: Record<string, unknown>;
  state: unknown;
  env?: Partial<Omit<PlanEnv, 'now'>> & { now?: string };
  commands: string[];
  stdin?: string;
  changed: boolean;
  failed?: boolean;
  msg?: string;
  diff?: Array<{ path: string; before: string; after: string }>;
}

type PlanFn = (args: never, state: never, env: PlanEnv) => Plan;

const PLANNERS: Record<string, PlanFn> = {
  file: planFile,
  copy: planCopy,
  lineinfile: planLineinfile,
  service: planService,
  snap: planSnap,
  firewalld: planFirewalld,
  certbot_rfc2136_credentials: planRfc2136Credentials,
  apt: (args: never, state: never) => {
    const p = planApt(args, state);
    return { commands: p.commands, msg: p.failed ?? p.notes.join('; '), failed: p.failed !== undefined };
  },
  command: (args: never, _s: never, env: PlanEnv) => {
    const p = planCommand('command', args, env);
    return { commands: p.error ? [] : [p.command], msg: p.error ?? '', failed: p.error !== undefined, stdin: p.stdin, changed: !p.error };
  },
  shell: (args: never, _s: never, env: PlanEnv) => {
    const p = planCommand('shell', args, env);
    return { commands: p.error ? [] : [p.command], msg: p.error ?? '', failed: p.error !== undefined, stdin: p.stdin, changed: !p.error };
  },
};

const update = process.env.RB_FIXTURE_UPDATE === '1';

for (const module of readdirSync(dir).sort()) {
  describe(`${module} (test/fixtures/modules/${module})`, () => {
    for (const file of readdirSync(join(dir, module)).filter((f) => f.endsWith('.json')).sort()) {
      const path = join(dir, module, file);
      const c = JSON.parse(readFileSync(path, 'utf8')) as Case;
      it(`${file}: ${c.description}`, () => {
        const plan = PLANNERS[module];
        expect(plan, `no planner registered for ${module}`).toBeDefined();
        const env: PlanEnv = { check: false, diff: false, tmpSuffix: 'TMP', vars: {}, ...c.env, now: new Date(c.env?.now ?? '2026-01-02T03:04:05Z') };
        const p = plan!(c.args as never, c.state as never, env);
        const commands = p.commands.map((x) => x.toShell());
        if (update) {
          writeFileSync(path, JSON.stringify({ ...c, commands, changed: planChanges(p), failed: p.failed ?? false, msg: p.msg, ...(p.stdin !== undefined ? { stdin: p.stdin.toString() } : {}), ...(p.diff ? { diff: p.diff } : {}) }, null, 2) + '\n');
          return;
        }
        expect(commands).toEqual(c.commands);
        expect(planChanges(p)).toBe(c.changed);
        expect(p.failed ?? false).toBe(c.failed ?? false);
        if (c.msg !== undefined) expect(p.msg).toBe(c.msg);
        if (c.stdin !== undefined) expect(p.stdin?.toString()).toBe(c.stdin);
        if (c.diff !== undefined) expect(p.diff).toEqual(c.diff);
        // whatever the planner produces must join into one syntactically valid POSIX sh command
        if (commands.length > 0) expect(() => execFileSync('sh', ['-n', '-c', joinCommands(p.commands).toShell()])).not.toThrow();
      });
    }
  });
}
