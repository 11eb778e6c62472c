import { describe, expect, it } from 'vitest';
import { parseApacheState, planApache, undoCommands } from './apache.js';
import { parseUfwStatus, planUfw } from './ufw.js';

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
