import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { apacheModule, planApache, undoCommands, type ApacheArgs } from './apache.js';
import { parseApacheState } from '../facts/apache.js';
import { planUfw } from './ufw.js';
import { parseUfwStatus } from '../facts/ufw.js';
import { normalizeArgs } from './util/schema.js';
import { loadPlaybook } from '../playbook/load.js';
import { registeredModules } from '../modules/registry.js';
import { validateCommand } from '../cli/commands/validate.js';
import type { ShellCommand } from '../transport/command.js';
import type { ExecResult } from '../transport/types.js';
import type { ModuleContext } from './types.js';

const STOCK = [
  '@@installed',
  '@@running',
  '@@mods-enabled',
  'alias.conf', 'alias.load', 'mpm_event.conf', 'mpm_event.load', 'rewrite.load',
  '@@mods-available',
  'alias.load', 'headers.load', 'mpm_event.load', 'rewrite.load', 'ssl.conf', 'ssl.load', 'socache_shmcb.load',
  '@@sites-enabled',
  '000-default.conf',
  '@@sites-available',
  '000-default.conf', 'default-ssl.conf',
  '@@configtest-output',
  'Syntax OK',
  '@@configtest-rc 0',
  '',
].join('\n');

describe('apache planner', () => {
  const st = parseApacheState(STOCK);
  it('parses enabled and available modules and sites', () => {
    expect(st).toMatchObject({ installed: true, running: true, modsEnabled: ['alias', 'mpm_event', 'rewrite'], sitesEnabled: ['000-default'] });
    expect(st.sitesAvailable).toEqual(['000-default', 'default-ssl']);
    expect(st.configtest).toEqual({ ok: true, output: 'Syntax OK' });
    const broken = parseApacheState('@@installed\n@@configtest-output\nAH00526: Syntax error on line 3\nAction \'configtest\' failed.\n@@configtest-rc 1\n');
    expect(broken.configtest).toEqual({ ok: false, output: "AH00526: Syntax error on line 3\nAction 'configtest' failed." });
  });
  it('enables only what is missing, with its undo', () => {
    const p = planApache(st, { modules: ['ssl', 'rewrite', 'headers'], sites: ['default-ssl.conf', '000-default'] });
    expect(p.apply.map((c) => c.toShell())).toEqual(['a2enmod -q ssl headers', 'a2ensite -q default-ssl']);
    expect(p.undo.map((c) => c.toShell())).toEqual(['a2dismod -q -f ssl headers', 'a2dissite -q default-ssl']);
  });
  it('nothing to do when everything is enabled', () => {
    expect(planApache(st, { modules: 'rewrite,alias', sites: ['000-default'] }).apply).toEqual([]);
  });
  it('disables with state absent', () => {
    expect(planApache(st, { modules: ['rewrite', 'ssl'], state: 'absent' }).apply.map((c) => c.toShell())).toEqual(['a2dismod -q -f rewrite']);
  });
  it('undo follows what really changed (a2enmod enabled a dependency too)', () => {
    const now = { ...st, modsEnabled: [...st.modsEnabled, 'ssl', 'socache_shmcb'], sitesEnabled: [...st.sitesEnabled, 'default-ssl'] };
    expect(undoCommands(st, now).map((c) => c.toShell())).toEqual(['a2dissite -q default-ssl', 'a2dismod -q -f ssl socache_shmcb']);
    expect(undoCommands(st, st)).toEqual([]);
  });
  it('names unknown modules/sites and a missing Apache', () => {
    expect(planApache(st, { modules: ['nope'], sites: ['gone'] }).error).toMatch(/no such Apache module: nope.*no such site: gone/);
    expect(planApache(parseApacheState('@@mods-enabled\n'), { modules: ['ssl'] }).error).toMatch(/not installed/);
  });
});

describe("Ansible's community.general.apache2_module arguments", () => {
  const st = parseApacheState(STOCK);
  const plan = (args: Record<string, unknown>) => planApache(st, normalizeArgs<ApacheArgs>(apacheModule.schema, args)).apply.map((c) => c.toShell());

  it('name is modules: present enables, absent disables; force and identifier change nothing', () => {
    expect(plan({ name: 'ssl', state: 'present' })).toEqual(['a2enmod -q ssl']);
    expect(plan({ name: 'ssl' })).toEqual(['a2enmod -q ssl']);
    expect(plan({ name: 'rewrite', state: 'absent', force: true, identifier: 'rewrite_module', ignore_configcheck: true })).toEqual(['a2dismod -q -f rewrite']);
    expect(plan({ name: 'rewrite', state: 'absent', force: false })).toEqual(['a2dismod -q -f rewrite']);
    expect(plan({ name: 'rewrite', state: 'present' })).toEqual([]);
  });

  it('a playbook using community.general.apache2_module validates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-apache-'));
    const file = join(dir, 'site.yml');
    writeFileSync(
      file,
      [
        '- hosts: all',
        '  tasks:',
        '    - community.general.apache2_module: name=ssl state=present',
        '    - community.general.apache2_module:',
        '        name: rewrite',
        '        state: absent',
        '        force: true',
        '        identifier: rewrite_module',
        '        ignore_configcheck: true',
        '        warn_mpm_absent: false',
        '    - apache2_module: name=headers',
        '',
      ].join('\n'),
    );
    const r = await loadPlaybook(file, { modules: registeredModules });
    expect(r.ok ? [] : r.errors.map((e) => `${e.location.line}:${e.location.col} ${e.message}`)).toEqual([]);
    // and `runbook validate` says so
    let out = '';
    let err = '';
    const stdout = new PassThrough().on('data', (c: Buffer) => (out += c.toString()));
    const stderr = new PassThrough().on('data', (c: Buffer) => (err += c.toString()));
    const code = await validateCommand.run({ positionals: [file], values: {} }, { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: dir });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toMatch(/site\.yml: valid \(1 play, 3 tasks\)/);
    // still checked: a misspelt argument
    writeFileSync(file, '- hosts: all\n  tasks:\n    - community.general.apache2_module: nme=ssl\n');
    const bad = await loadPlaybook(file, { modules: registeredModules });
    expect(bad.ok ? [] : bad.errors.map((e) => `${e.location.line} ${e.code}`)).toEqual(['3 unknown-argument']);
  });

  /** a context whose every command answers with the given probe output */
  function fakeContext(probe: string, check: boolean): { ctx: ModuleContext; commands: string[] } {
    const commands: string[] = [];
    const exec = (c: ShellCommand): Promise<ExecResult> => {
      commands.push(c.toShell());
      return Promise.resolve({ host: 'h', command: c.toDisplay(), exitCode: 0, signal: null, stdout: probe, stderr: '', truncated: false, timedOut: false, durationMs: 1, ok: true });
    };
    return { ctx: { host: 'h', check, diff: false, vars: {}, exec, run: exec } as unknown as ModuleContext, commands };
  }

  it('the module run resolves name (probe, then a2enmod ssl in --check it would run)', async () => {
    const { ctx, commands } = fakeContext(STOCK, true);
    const r = await apacheModule.run(ctx, { name: 'ssl', state: 'present' } as ApacheArgs);
    expect(r).toMatchObject({ changed: true, msg: 'would enable module ssl', data: { enabled: { modules: ['ssl'], sites: [] } } });
    expect(commands).toHaveLength(1);
    const both = await apacheModule.run(ctx, { name: 'ssl', modules: ['ssl'] } as ApacheArgs);
    expect(both.failed).toBe(true);
    expect(both.msg).toMatch(/"modules" is given twice \(also as its alias "name"\)/);
  });

  it('ignore_configcheck is not honoured, and a failing configtest says so', async () => {
    const broken = STOCK.replace('Syntax OK\n@@configtest-rc 0', 'AH00534: apache2: Configuration error: No MPM loaded.\n@@configtest-rc 1');
    const { ctx, commands } = fakeContext(broken, false);
    const r = await apacheModule.run(ctx, { name: 'mpm_event', state: 'absent', ignore_configcheck: true } as ApacheArgs);
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(/AH00534[\s\S]*ignore_configcheck is not honoured/);
    expect(commands).toHaveLength(1); // nothing changed
    const plain = await apacheModule.run(fakeContext(broken, false).ctx, { name: 'mpm_event', state: 'absent' } as ApacheArgs);
    expect(plain.msg).not.toMatch(/ignore_configcheck/);
  });
});

describe('ufw planner', () => {
  it('missing and inactive ufw: no-op with the reason', () => {
    expect(planUfw(parseUfwStatus('@@missing\n'), { port: 80 })).toEqual({ specs: [], reason: 'ufw is not installed: no host firewall to change' });
    expect(planUfw(parseUfwStatus('Status: inactive\n'), { port: [80, 443] }).reason).toMatch(/inactive/);
  });
  it('active: adds only missing rules', () => {
    const status = parseUfwStatus(
      ['Status: active', '', 'To                         Action      From', '--                         ------      ----', '22/tcp                     ALLOW       Anywhere', '80/tcp                     ALLOW       Anywhere', '80/tcp (v6)                ALLOW       Anywhere (v6)', ''].join('\n'),
    );
    expect(status.kind).toBe('active');
    expect(planUfw(status, { port: [80, 443] }).specs).toEqual(['443/tcp']);
    expect(planUfw(status, { port: 80 }).specs).toEqual([]);
    expect(planUfw(status, { port: 53, proto: 'any' }).specs).toEqual(['53']);
    expect(planUfw(status, { port: 80, rule: 'deny' }).specs).toEqual(['80/tcp']);
  });
});
