// ping (a real shell round trip on this machine) and package (apt on apt hosts, a clear failure
// elsewhere) as the engine runs them.
import { describe, expect, it } from 'vitest';
import { runLocal } from './testing/local-context.js';
import { pingModule } from './ping.js';
import { packageModule } from './package.js';
import { aptModule } from './apt.js';
import type { HostFacts } from '../facts/types.js';
import type { ModuleContext } from './types.js';
import type { ShellCommand } from '../transport/command.js';

describe('ping', () => {
  it('returns ping: pong through the shell and never changes', async () => {
    const { result, commands } = await runLocal(pingModule, {});
    expect(result).toMatchObject({ changed: false, data: { ping: 'pong' } });
    expect(result.failed ?? false).toBe(false);
    expect(commands).toHaveLength(1);
  });

  it('echoes data (quoted safely) and fails on data=crash', async () => {
    const data = "it's $HOME `x` %s";
    const { result } = await runLocal(pingModule, { data });
    expect(result.data).toEqual({ ping: data });
    const crash = await runLocal(pingModule, { data: 'crash' });
    expect(crash.result.failed).toBe(true);
    const check = await runLocal(pingModule, {}, { check: true });
    expect(check.result).toMatchObject({ changed: false, data: { ping: 'pong' } });
  });
});

/** A context whose facts say `pkgMgr`; it records commands and answers every one with exit 1. */
function fakeContext(pkgMgr: HostFacts['pkgMgr']): ModuleContext & { commands: string[] } {
  const commands: string[] = [];
  const exec = (c: ShellCommand) => {
    commands.push(c.toShell());
    return Promise.resolve({ host: 'h', command: c.toDisplay(), exitCode: 1, signal: null, stdout: '', stderr: 'no', truncated: false, timedOut: false, durationMs: 0, ok: false });
  };
  return {
    host: 'h',
    check: true,
    diff: false,
    vars: {},
    commands,
    facts: () => Promise.resolve({ pkgMgr } as HostFacts),
    exec,
    run: exec,
    put: () => Promise.resolve(),
    readLocalFile: () => Promise.resolve(''),
    renderTemplate: (t) => t,
    warn: () => undefined,
    progress: () => undefined,
  };
}

describe('package', () => {
  it('on an apt host runs exactly what the apt module runs', async () => {
    const viaPackage = fakeContext('apt');
    const viaApt = fakeContext('apt');
    const a = await packageModule.run(viaPackage, { name: ['curl', 'git'], state: 'present' });
    const b = await aptModule.run(viaApt, { name: ['curl', 'git'], state: 'present' });
    expect(viaPackage.commands.length).toBeGreaterThan(0);
    expect(viaPackage.commands).toEqual(viaApt.commands);
    expect(viaPackage.commands[0]).toMatch(/dpkg-query/);
    expect(a).toEqual(b);
  });

  it('on another package manager fails and names it', async () => {
    const ctx = fakeContext('dnf');
    const r = await packageModule.run(ctx, { name: 'curl' });
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(/`dnf`/);
    expect(r.msg).toMatch(/apt only/);
    expect(ctx.commands).toEqual([]);
    const unknown = await packageModule.run(fakeContext('unknown'), { name: 'curl' });
    expect(unknown.msg).toMatch(/unknown/);
  });

  it('use: apt skips the facts', async () => {
    const ctx = fakeContext('dnf');
    await packageModule.run(ctx, { name: 'curl', use: 'apt' });
    expect(ctx.commands[0]).toMatch(/dpkg-query/);
  });
});
