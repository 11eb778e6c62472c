// Modules run for real on this machine (LocalTransport: /bin/sh, real files in a temp dir):
// idempotence (second run: not changed, ONE remote command), --check changes nothing, and the
// failure paths leave files as they were.
import { chownSync, linkSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, existsSync, statSync, readdirSync, mkdirSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLocal } from './testing/local-context.js';
import { fileModule } from './file.js';
import { copyModule, FAST_MAX_BYTES } from './copy.js';
import { templateModule } from './template.js';
import { lineinfileModule } from './lineinfile.js';
import { statModule } from './stat.js';
import { commandModule, shellModule, rawModule } from './command.js';
import { waitForModule } from './wait-for.js';
import { uriModule } from './uri.js';
import { assertModule, failModule, setFactModule } from './assert.js';
import { debugModule } from './debug.js';
import { serviceModule } from './service.js';
import type { ModuleDefinition } from './types.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'rb-mod-'));
const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

/** first run changes, second run does not and needs exactly one remote command */
async function idempotent<A>(m: ModuleDefinition<A>, args: A, o: Parameters<typeof runLocal>[2] = {}) {
  const first = await runLocal(m, args, o);
  expect(first.result.failed ?? false, first.result.msg).toBe(false);
  expect(first.result.changed).toBe(true);
  const second = await runLocal(m, args, o);
  expect(second.result.failed ?? false, second.result.msg).toBe(false);
  expect(second.result.changed, second.result.msg).toBe(false);
  expect(second.commands).toHaveLength(1);
  return { first, second };
}

describe('file', () => {
  it('creates a directory tree with a mode, then is idempotent', async () => {
    const d = tmp();
    const { first } = await idempotent(fileModule, { path: join(d, 'a/b'), state: 'directory', mode: '0750' });
    expect(first.commands).toHaveLength(1); // checked and created in the same command
    expect(mode(join(d, 'a/b'))).toBe('0750');
  });

  it('touch, link, absent', async () => {
    const d = tmp();
    await runLocal(fileModule, { path: join(d, 'f'), state: 'touch', mode: 'u=rw,g=r,o=' });
    expect(mode(join(d, 'f'))).toBe('0640');
    await idempotent(fileModule, { path: join(d, 'l'), state: 'link', src: join(d, 'f') });
    await idempotent(fileModule, { path: join(d, 'f'), state: 'absent' });
    expect(existsSync(join(d, 'f'))).toBe(false);
  });

  it('--check reports the change and changes nothing', async () => {
    const d = tmp();
    const r = await runLocal(fileModule, { path: join(d, 'x'), state: 'directory' }, { check: true });
    expect(r.result.changed).toBe(true);
    expect(existsSync(join(d, 'x'))).toBe(false);
    expect(r.commands).toHaveLength(1);
  });
});

describe('one-command paths (no --check/--diff)', () => {
  it('file: wrong types and missing files fail with the planned messages', async () => {
    const d = tmp();
    writeFileSync(join(d, 'f'), 'x');
    const notDir = await runLocal(fileModule, { path: join(d, 'f'), state: 'directory' });
    expect(notDir.result).toMatchObject({ failed: true, msg: `${join(d, 'f')} exists and is a file, not a directory: remove it first or choose another path` });
    const missing = await runLocal(fileModule, { path: join(d, 'nope'), state: 'file', mode: '0600' });
    expect(missing.result.msg).toMatch(/does not exist: use state=touch/);
    const mode = await runLocal(fileModule, { path: join(d, 'f'), state: 'file', mode: '0600', owner: String(process.getuid?.() ?? 0) });
    expect(mode.result).toMatchObject({ changed: true });
    expect(mode.result.msg).toMatch(new RegExp(`^${join(d, 'f')}: mode 0[0-7]{3} → 0600$`));
    expect(mode.commands).toHaveLength(1);
  });

  it('file absent: the one command says what was removed as the planned path does; a directory or a link is told without stat', async () => {
    const d = tmp();
    mkdirSync(join(d, 'dir/sub'), { recursive: true });
    writeFileSync(join(d, 'dir/sub/f'), 'x');
    symlinkSync(join(d, 'dir'), join(d, 'link'));
    writeFileSync(join(d, 'one'), 'x');
    writeFileSync(join(d, 'two'), 'x');
    linkSync(join(d, 'two'), join(d, 'two-again'));
    // a PATH where `rm` is the only program: a probe that ran `stat` for a directory or a link fails
    const onlyRm = join(d, 'bin');
    mkdirSync(onlyRm);
    symlinkSync('/bin/rm', join(onlyRm, 'rm'));
    const expected: Array<[string, string, boolean]> = [['link', 'link', true], ['dir', 'directory', true], ['one', 'file', false], ['two', 'hard', false]];
    for (const [name, state, toldByTests] of expected) {
      const args = { path: join(d, name), state: 'absent' } as const;
      const planned = await runLocal(fileModule, args, { check: true });
      const saved = process.env.PATH;
      if (toldByTests) process.env.PATH = onlyRm;
      let real: Awaited<ReturnType<typeof runLocal>>;
      try {
        real = await runLocal(fileModule, args);
      } finally {
        process.env.PATH = saved;
      }
      expect(real.result.failed ?? false, real.result.msg).toBe(false);
      expect(real.commands).toHaveLength(1);
      expect(real.result).toMatchObject({ changed: true, msg: planned.result.msg, data: { state: 'absent', diff: { before: { path: args.path, state }, after: { path: args.path, state: 'absent' } } } });
      expect(existsSync(args.path)).toBe(false);
    }
    // the link went, not what it pointed to (already removed above as `dir`); the other name of `two` stays
    expect(readdirSync(d).sort()).toEqual(['bin', 'two-again']);
  });

  it('copy: a missing directory fails clearly; a first write and an attribute fix are one command each', async () => {
    const d = tmp();
    const bad = await runLocal(copyModule, { dest: join(d, 'no/such/file'), content: 'x' });
    expect(bad.result).toMatchObject({ failed: true, msg: `destination directory ${join(d, 'no/such')} does not exist: create it first (file: path=${join(d, 'no/such')} state=directory)` });
    const w = await runLocal(copyModule, { dest: join(d, 'f'), content: 'x\n' });
    expect(w.result).toMatchObject({ changed: true });
    expect(w.commands).toHaveLength(1);
    const m = await runLocal(copyModule, { dest: join(d, 'f'), content: 'x\n', mode: '0600' });
    expect(m.result).toMatchObject({ changed: true });
    expect(m.result.msg).toMatch(new RegExp(`^${join(d, 'f')}: content unchanged; mode 0[0-7]{3} → 0600$`));
    expect(m.commands).toHaveLength(1);
    expect(mode(join(d, 'f'))).toBe('0600');
    const c = await runLocal(copyModule, { dest: join(d, 'f'), content: 'y\n', mode: '0600' });
    expect(c.result.msg).toBe(`${join(d, 'f')}: content updated`);
    expect(readFileSync(join(d, 'f'), 'utf8')).toBe('y\n');
    expect(mode(join(d, 'f'))).toBe('0600');
    expect(readdirSync(d)).toEqual(['f']);
  });
});

describe('the one-command path says what the planned path (--check, --diff) says', () => {
  // each case runs in --check first (probe + plan, nothing changes), then for real (one command)
  const cases: Array<[string, ModuleDefinition<never>, (d: string) => Record<string, unknown>, (d: string) => void]> = [
    ['copy: new file', copyModule, (d) => ({ dest: join(d, 'f'), content: 'x\n', mode: '0640' }), () => undefined],
    ['copy: other content', copyModule, (d) => ({ dest: join(d, 'f'), content: 'x\n' }), (d) => writeFileSync(join(d, 'f'), 'y\n')],
    ['copy: same content, other mode', copyModule, (d) => ({ dest: join(d, 'f'), content: 'x\n', mode: '0600' }), (d) => writeFileSync(join(d, 'f'), 'x\n', { mode: 0o644 })],
    ['copy: into a directory that is a file', copyModule, (d) => ({ dest: join(d, 'f/g'), content: 'x\n' }), (d) => writeFileSync(join(d, 'f'), 'y\n')],
    ['file: a directory to create', fileModule, (d) => ({ path: join(d, 'a/b'), state: 'directory', mode: '0750' }), () => undefined],
    ['file: a mode to fix', fileModule, (d) => ({ path: join(d, 'f'), state: 'file', mode: '0600' }), (d) => writeFileSync(join(d, 'f'), 'x', { mode: 0o644 })],
    ['file: a directory where a file is', fileModule, (d) => ({ path: join(d, 'f'), state: 'directory' }), (d) => writeFileSync(join(d, 'f'), 'x')],
    ['file: a directory to remove', fileModule, (d) => ({ path: join(d, 'sub'), state: 'absent' }), (d) => mkdirSync(join(d, 'sub'))],
    ['lineinfile: a line to add', lineinfileModule, (d) => ({ path: join(d, 'f'), line: 'b = 2' }), (d) => writeFileSync(join(d, 'f'), 'a = 1')],
    ['lineinfile: the line is there, the mode is not', lineinfileModule, (d) => ({ path: join(d, 'f'), line: 'a = 1', mode: '0600' }), (d) => writeFileSync(join(d, 'f'), 'a = 1\n', { mode: 0o644 })],
    ['lineinfile: a missing file', lineinfileModule, (d) => ({ path: join(d, 'nope'), line: 'a' }), () => undefined],
  ];
  for (const [name, module, args, setup] of cases) {
    it(name, async () => {
      const d = tmp();
      setup(d);
      const planned = await runLocal(module, args(d) as never, { check: true });
      const real = await runLocal(module, args(d) as never);
      expect(real.commands).toHaveLength(1);
      expect({ changed: real.result.changed, failed: real.result.failed ?? false, msg: real.result.msg }).toEqual({
        changed: planned.result.changed,
        failed: planned.result.failed ?? false,
        msg: planned.result.msg,
      });
      // and a second run has nothing left to do (or fails the same way), still in one command
      const again = await runLocal(module, args(d) as never);
      expect(again.commands).toHaveLength(1);
      expect(again.result.changed).toBe(false);
    });
  }
});

describe('lineinfile one-command path', () => {
  it('appends a missing line (adding the final newline), keeps the mode, then finds it', async () => {
    const d = tmp();
    const path = join(d, 'seed');
    writeFileSync(path, 'alpha\nbeta', { mode: 0o640 });
    const a = await runLocal(lineinfileModule, { path, line: 'tuned = yes' });
    expect(a.result).toMatchObject({ changed: true, msg: 'line added' });
    expect(a.commands).toHaveLength(1);
    expect(readFileSync(path, 'utf8')).toBe('alpha\nbeta\ntuned = yes\n');
    expect(mode(path)).toBe('0640');
    const b = await runLocal(lineinfileModule, { path, line: 'tuned = yes' });
    expect(b.result.changed).toBe(false);
    // a line that only matches as a substring or a regexp is not "present"
    const c = await runLocal(lineinfileModule, { path, line: 'tuned' });
    expect(c.result.changed).toBe(true);
    const e = await runLocal(lineinfileModule, { path, line: 'a.*' });
    expect(e.result.changed).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('alpha\nbeta\ntuned = yes\ntuned\na.*\n');
    const missing = await runLocal(lineinfileModule, { path: join(d, 'nope'), line: 'x' });
    expect(missing.result).toMatchObject({ failed: true, msg: `Destination ${join(d, 'nope')} does not exist !` });
    expect(readdirSync(d)).toEqual(['seed']);
  });
});

describe('copy and template', () => {
  it('writes content atomically with mode, then is idempotent (one probe)', async () => {
    const d = tmp();
    const dest = join(d, 'app.conf');
    await idempotent(copyModule, { dest, content: 'a=1\n', mode: '0640' });
    expect(readFileSync(dest, 'utf8')).toBe('a=1\n');
    expect(mode(dest)).toBe('0640');
    expect(readdirSync(d)).toEqual(['app.conf']); // no temp file left behind
  });

  it.skipIf(process.getuid?.() !== 0)('a rewritten file keeps its owner and group (another user\'s, and our own)', async () => {
    const d = tmp();
    const theirs = join(d, 'theirs.conf');
    const ours = join(d, 'ours.conf');
    writeFileSync(theirs, 'a=1\n');
    writeFileSync(ours, 'a=1\n');
    chownSync(theirs, 4321, 4322);
    expect((await runLocal(copyModule, { dest: theirs, content: 'a=2\n' })).result.changed).toBe(true);
    expect((await runLocal(lineinfileModule, { path: theirs, line: 'b=3' })).result.changed).toBe(true);
    expect((await runLocal(lineinfileModule, { path: ours, line: 'b=3' })).result.changed).toBe(true);
    expect(readFileSync(theirs, 'utf8')).toBe('a=2\nb=3\n');
    expect(statSync(theirs)).toMatchObject({ uid: 4321, gid: 4322 });
    expect(statSync(ours)).toMatchObject({ uid: process.getuid?.(), gid: process.getgid?.() });
  });

  it('rewrites a file whose content differs in one byte only (same size), and leaves an equal one alone', async () => {
    const d = tmp();
    const dest = join(d, 'same-size');
    writeFileSync(dest, 'value=1\n');
    const changed = await runLocal(copyModule, { dest, content: 'value=2\n' });
    expect(changed.result).toMatchObject({ changed: true });
    expect(changed.commands).toHaveLength(1);
    expect(readFileSync(dest, 'utf8')).toBe('value=2\n');
    const same = await runLocal(copyModule, { dest, content: 'value=2\n' });
    expect(same.result).toMatchObject({ changed: false });
    expect(readdirSync(d)).toEqual(['same-size']);
  });

  it('content over the one-command size limit takes the probe-first path and is idempotent too', async () => {
    const d = tmp();
    const dest = join(d, 'big.conf');
    const big = 'x'.repeat(FAST_MAX_BYTES) + '\nend\n';
    const { first } = await idempotent(copyModule, { dest, content: big });
    expect(first.commands).toHaveLength(2); // probe, then write: the content is not sent on spec
    expect(readFileSync(dest, 'utf8')).toBe(big);
  });

  it('keeps the old file when validate fails, and makes a backup when it passes', async () => {
    const d = tmp();
    const dest = join(d, 'app.conf');
    writeFileSync(dest, 'good=1\n');
    const bad = await runLocal(copyModule, { dest, content: 'broken\n', validate: 'grep -q = %s', backup: true });
    expect(bad.result.failed).toBe(true);
    expect(bad.result.msg).toMatch(/^validation failed: `grep -q = %s` rejected the new .*app\.conf/);
    expect(readFileSync(dest, 'utf8')).toBe('good=1\n');
    expect(readdirSync(d)).toEqual(['app.conf']);
    const ok = await runLocal(copyModule, { dest, content: 'good=2\n', validate: 'grep -q = %s', backup: true });
    expect(ok.result.changed).toBe(true);
    const backup = ok.result.data?.backup_file as string;
    expect(readFileSync(backup, 'utf8')).toBe('good=1\n');
    expect(readFileSync(dest, 'utf8')).toBe('good=2\n');
  });

  it('--check --diff shows the change without writing', async () => {
    const d = tmp();
    const dest = join(d, 'motd');
    writeFileSync(dest, 'old\n');
    const r = await runLocal(copyModule, { dest, content: 'new\n' }, { check: true, diff: true });
    expect(r.result.changed).toBe(true);
    expect(r.result.diff).toEqual([{ path: dest, before: 'old\n', after: 'new\n' }]);
    expect(readFileSync(dest, 'utf8')).toBe('old\n');
  });

  it('copies src from the controller into a directory', async () => {
    const d = tmp();
    writeFileSync(join(d, 'src.txt'), 'from controller\n');
    mkdirSync(join(d, 'out'));
    await idempotent(copyModule, { src: 'src.txt', dest: join(d, 'out') }, { baseDir: d });
    expect(readFileSync(join(d, 'out/src.txt'), 'utf8')).toBe('from controller\n');
  });

  it('template renders with the task variables (src found in templates/)', async () => {
    const d = tmp();
    mkdirSync(join(d, 'templates'));
    writeFileSync(join(d, 'templates/site.conf.j2'), 'ServerName {{ domain }}\n{% for p in ports %}Listen {{ p }}\n{% endfor %}');
    const vars = { domain: 'node1.example.org', ports: [80, 443] };
    const missing = await runLocal(templateModule, { src: 'nope.j2', dest: join(d, 'x') }, { baseDir: d }).catch((e: Error) => e.message);
    // the context's search path is the base directory (absolute, as the engine's): both places are named
    expect(missing).toBe(`template src 'nope.j2' not found; looked in: ${join(d, 'templates/nope.j2')}, ${join(d, 'nope.j2')}`);
    await idempotent(templateModule, { src: 'site.conf.j2', dest: join(d, 'site.conf') }, { baseDir: d, vars });
    expect(readFileSync(join(d, 'site.conf'), 'utf8')).toBe('ServerName node1.example.org\nListen 80\nListen 443\n');
  });

  it('template: {% include %} of other templates, ansible_managed, lstrip_blocks, newline_sequence', async () => {
    const d = tmp();
    mkdirSync(join(d, 'templates/parts'), { recursive: true });
    // Jinja: trim_blocks eats the newline after an include tag and an included file loses its last newline
    writeFileSync(join(d, 'templates/main.j2'), "{{ ansible_managed | comment }}\n{% include 'parts/listen.j2' %}\n\n  {% if tls %}\nSSLEngine on\n  {% endif %}\n");
    writeFileSync(join(d, 'templates/parts/listen.j2'), "{% for p in ports %}\nListen {{ p }}\n{% endfor %}\n{% include 'footer.j2' %}\n");
    writeFileSync(join(d, 'templates/footer.j2'), '# end of ports\n');
    const vars = { ports: [80, 443], tls: true };
    await idempotent(templateModule, { src: 'main.j2', dest: join(d, 'a.conf'), lstrip_blocks: true }, { baseDir: d, vars });
    expect(readFileSync(join(d, 'a.conf'), 'utf8')).toBe('#\n# Ansible managed\n#\nListen 80\nListen 443\n# end of ports\nSSLEngine on\n');
    await idempotent(templateModule, { src: 'main.j2', dest: join(d, 'b.conf'), newline_sequence: '\r\n' }, { baseDir: d, vars });
    expect(readFileSync(join(d, 'b.conf'), 'utf8')).toBe('#\r\n# Ansible managed\r\n#\r\nListen 80\r\nListen 443\r\n# end of ports\r\n  SSLEngine on\r\n  \r\n');
    writeFileSync(join(d, 'templates/broken.j2'), "{% include 'nope.j2' %}");
    const r = await runLocal(templateModule, { src: 'broken.j2', dest: join(d, 'c.conf') }, { baseDir: d, vars }).catch((e: Error) => ({ result: { failed: true, msg: e.message } }));
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/nope\.j2' not found/);
    expect(existsSync(join(d, 'c.conf'))).toBe(false);
  });
});

describe('lineinfile', () => {
  it('replaces, inserts and removes lines; idempotent', async () => {
    const d = tmp();
    const path = join(d, 'sshd_config');
    writeFileSync(path, 'Port 22\n#PasswordAuthentication yes\n');
    await idempotent(lineinfileModule, { path, regexp: '^#?PasswordAuthentication', line: 'PasswordAuthentication no' });
    await idempotent(lineinfileModule, { path, line: 'UseDNS no', insertafter: '^Port' });
    expect(readFileSync(path, 'utf8')).toBe('Port 22\nUseDNS no\nPasswordAuthentication no\n');
    await idempotent(lineinfileModule, { path, regexp: '^UseDNS', state: 'absent' });
    expect(readFileSync(path, 'utf8')).toBe('Port 22\nPasswordAuthentication no\n');
  });

  it('creates the file (and its directories) when asked', async () => {
    const d = tmp();
    const r = await runLocal(lineinfileModule, { path: join(d, 'sub/dir/new'), line: 'x=1', create: 'yes', mode: '0600' });
    expect(r.result.changed, r.result.msg).toBe(true);
    expect(mode(join(d, 'sub/dir/new'))).toBe('0600');
    expect(readFileSync(join(d, 'sub/dir/new'), 'utf8')).toBe('x=1\n');
  });
});

describe('stat', () => {
  it('describes files and missing paths in one command', async () => {
    const d = tmp();
    writeFileSync(join(d, 'f'), 'abc');
    const r = await runLocal(statModule, { path: join(d, 'f') });
    expect(r.commands).toHaveLength(1);
    expect(r.result.data?.stat).toMatchObject({ exists: true, isreg: true, isdir: false, size: 3, checksum: 'a9993e364706816aba3e25717850c26c9cd0d89d' });
    const m = await runLocal(statModule, { path: join(d, 'nope') });
    expect(m.result.data?.stat).toEqual({ exists: false });
  });
});

describe('command, shell, raw', () => {
  it('registers rc, stdout, stderr and lines', async () => {
    const r = await runLocal(shellModule, { cmd: 'echo out; echo err >&2; printf "a\\nb\\n"' });
    expect(r.result).toMatchObject({ changed: true, data: { rc: 0, stdout: 'out\na\nb', stderr: 'err', stdout_lines: ['out', 'a', 'b'], stderr_lines: ['err'] } });
    expect(r.result.data?.delta).toMatch(/^0:00:\d\d\.\d{6}$/);
  });

  it('command passes words without a shell', async () => {
    const r = await runLocal(commandModule, { cmd: 'echo "a  b" $HOME;' });
    expect(r.result.data?.stdout).toBe('a  b $HOME;');
    expect(r.result.data?.cmd).toEqual(['echo', 'a  b', '$HOME;']);
  });

  it('fails on a non-zero exit with the reason', async () => {
    const r = await runLocal(shellModule, { cmd: 'echo nope >&2; exit 3' });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toBe('non-zero return code 3: nope');
    expect(r.result.data?.rc).toBe(3);
  });

  it('creates: runs once, then is skipped — one remote command each time', async () => {
    const d = tmp();
    const args = { cmd: `echo made > ${join(d, 'marker')}`, creates: join(d, 'marker') };
    const first = await runLocal(shellModule, args);
    expect(first.result.changed).toBe(true);
    expect(first.commands).toHaveLength(1);
    const second = await runLocal(shellModule, args);
    expect(second.result).toMatchObject({ changed: false, skipped: true });
    expect(second.commands).toHaveLength(1);
  });

  it('chdir, stdin and free-form options', async () => {
    const d = tmp();
    const r = await runLocal(commandModule, { cmd: `pwd chdir=${d}` });
    expect(r.result.data?.stdout).toBe(d);
    const s = await runLocal(shellModule, { cmd: 'tr a-z A-Z', stdin: 'hello' });
    expect(s.result.data?.stdout).toBe('HELLO');
  });

  it('--check: skipped without creates/removes; asks the host with creates', async () => {
    const d = tmp();
    const r = await runLocal(shellModule, { cmd: `touch ${join(d, 'x')}` }, { check: true });
    expect(r.result.skipped).toBe(true);
    expect(r.commands).toHaveLength(0);
    const c = await runLocal(shellModule, { cmd: `touch ${join(d, 'x')}`, creates: join(d, 'x') }, { check: true });
    expect(c.result.changed).toBe(true);
    expect(existsSync(join(d, 'x'))).toBe(false);
  });

  it('raw sends text as is', async () => {
    const r = await runLocal(rawModule, { cmd: 'echo $((1+2))' });
    expect(r.result.data?.stdout).toBe('3');
  });
});

describe('wait_for', () => {
  it('waits for a port to open and to close (loopback)', async () => {
    const server = createTcpServer((s) => s.end());
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as AddressInfo).port;
    const open = await runLocal(waitForModule, { port, timeout: 5 });
    expect(open.result.failed ?? false, open.result.msg).toBe(false);
    await new Promise<void>((res) => server.close(() => res()));
    const closed = await runLocal(waitForModule, { port, state: 'stopped', timeout: 5 });
    expect(closed.result.failed ?? false).toBe(false);
    const timeout = await runLocal(waitForModule, { port, timeout: 1 });
    expect(timeout.result.failed).toBe(true);
    expect(timeout.result.msg).toMatch(/Timeout when waiting for 127\.0\.0\.1:\d+ to be started/);
  });

  it('waits for a path', async () => {
    const d = tmp();
    setTimeout(() => writeFileSync(join(d, 'ready'), 'READY\n'), 300);
    const r = await runLocal(waitForModule, { path: join(d, 'ready'), search_regex: 'READY', timeout: 10 });
    expect(r.result.failed ?? false).toBe(false);
    expect(r.commands).toHaveLength(1);
  });
});

describe('uri (loopback HTTP server)', () => {
  it('registers status, lower-cased headers, content and json; checks status_code', async () => {
    const server = createHttpServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(301, { Location: 'https://node1.example.org/' });
        res.end();
        return;
      }
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Strict-Transport-Security': 'max-age=31536000' });
        res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null }));
      });
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const r = await runLocal(uriModule, { url: `${base}/x`, method: 'POST', body: { a: 1 }, body_format: 'json', return_content: true, url_username: 'u', url_password: 'p4ss', force_basic_auth: true });
      expect(r.result.failed ?? false, r.result.msg).toBe(false);
      expect(r.result.data).toMatchObject({ status: 200, strict_transport_security: 'max-age=31536000', json: { method: 'POST', body: '{"a":1}' } });
      expect((r.result.data?.headers as Record<string, string>)['content-type']).toBe('application/json');
      expect(r.commands[0]).not.toContain('p4ss'); // credentials are masked in what is shown
      const redirect = await runLocal(uriModule, { url: `${base}/redirect`, follow_redirects: 'none', status_code: 301 });
      expect(redirect.result.data).toMatchObject({ status: 301, location: 'https://node1.example.org/' });
      const wrong = await runLocal(uriModule, { url: `${base}/redirect`, follow_redirects: 'none' });
      expect(wrong.result.failed).toBe(true);
      expect(wrong.result.msg).toMatch(/^Status code was 301 and not \[200\]/);
    } finally {
      server.close();
    }
  });

  it('basic auth and a token header work, and never show in any process list while the request runs', async () => {
    // quotes, a backslash and a space: the curl config quoting must carry them
    const password = 'pw "q\\ 7c1e';
    const token = 'tok-5b9d2e41';
    const expected = `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`;
    const seen: Array<{ curl: boolean; leaked: string[] }> = [];
    // scan every /proc/PID/cmdline while curl waits for this answer
    const scan = () => {
      const lines: string[] = [];
      for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
        try {
          lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '));
        } catch {
          // the process ended meanwhile
        }
      }
      seen.push({ curl: lines.some((l) => l.includes('curl ') && l.includes('/secret')), leaked: lines.filter((l) => ['alice', 'pw "q', token].some((s) => l.includes(s))) });
    };
    const server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const auth = req.headers.authorization;
        if (auth !== expected && auth !== `Bearer ${token}`) {
          res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="t"' });
          res.end();
          return;
        }
        scan();
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ body }));
      });
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/secret`;
    try {
      const denied = await runLocal(uriModule, { url, url_username: 'alice', url_password: 'wrong' });
      expect(denied.result).toMatchObject({ failed: true, data: { status: 401 } });
      // a challenge first (anyauth), then Basic
      const get = await runLocal(uriModule, { url, url_username: 'alice', url_password: password });
      expect(get.result.failed ?? false, get.result.msg).toBe(false);
      // forced Basic with a body on the same stdin as the config
      const post = await runLocal(uriModule, { url, method: 'POST', body: { n: 1 }, body_format: 'json', url_username: 'alice', url_password: password, force_basic_auth: true });
      expect(post.result.failed ?? false, post.result.msg).toBe(false);
      expect(post.result.data).toMatchObject({ status: 200, json: { body: '{"n":1}' } });
      const bearer = await runLocal(uriModule, { url, method: 'PUT', body: 'raw body', headers: { Authorization: `Bearer ${token}` } });
      expect(bearer.result.data).toMatchObject({ status: 200, json: { body: 'raw body' } });
      expect(seen).toHaveLength(3);
      for (const s of seen) expect(s).toEqual({ curl: true, leaked: [] });
      for (const r of [get, post, bearer]) expect(r.commands.join('\n')).not.toMatch(/alice|pw "q|tok-/);
    } finally {
      server.close();
    }
  });

  it('a refused connection fails with status -1', async () => {
    const server = createTcpServer();
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((res) => server.close(() => res()));
    const r = await runLocal(uriModule, { url: `http://127.0.0.1:${port}/`, timeout: 5 });
    expect(r.result).toMatchObject({ failed: true, data: { status: -1 } });
    expect(r.result.msg).toMatch(/^Request failed: .*(refused|connect)/i);
  });
});

describe('controller-only modules', () => {
  it('assert evaluates expressions with the task variables', async () => {
    const vars = { result: { rc: 0, stdout: 'ok' }, domain: 'a.example' };
    const ok = await runLocal(assertModule, { that: ['result.rc == 0', 'domain is defined'], success_msg: 'fine' }, { vars });
    expect(ok.result).toMatchObject({ changed: false, msg: 'fine' });
    const bad = await runLocal(assertModule, { that: ['result.rc == 0', 'result.stdout == "no"'], fail_msg: 'stdout was {{ result.stdout }}' }, { vars });
    expect(bad.result).toMatchObject({ failed: true, msg: 'stdout was {{ result.stdout }}', data: { assertion: 'result.stdout == "no"' } });
    expect(bad.commands).toHaveLength(0);
  });

  it('fail, set_fact, debug', async () => {
    expect((await runLocal(failModule, { msg: 'stop here' })).result).toMatchObject({ failed: true, msg: 'stop here' });
    expect((await runLocal(failModule, {})).result.msg).toBe('Failed as requested from task');
    expect((await runLocal(setFactModule, { a: 1, cacheable: true })).result.facts).toEqual({ a: 1 });
    const dbg = await runLocal(debugModule, { var: 'r.stdout_lines' }, { vars: { r: { stdout_lines: ['x'] } } });
    expect(dbg.result.data).toEqual({ 'r.stdout_lines': ['x'] });
  });
});

describe('service without systemd (this machine has none)', () => {
  it('reports an unknown service clearly', async () => {
    const r = await runLocal(serviceModule, { name: 'runbook-no-such-service', state: 'started' });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/service runbook-no-such-service not found/);
    expect(r.commands).toHaveLength(1);
  });
});

describe('symlinks are followed like Ansible', () => {
  it('a link to a directory is that directory; copy through a link compares the target', async () => {
    const d = tmp();
    mkdirSync(join(d, 'real'));
    const { symlinkSync } = await import('node:fs');
    symlinkSync(join(d, 'real'), join(d, 'dirlink'));
    const r = await runLocal(fileModule, { path: join(d, 'dirlink'), state: 'directory' });
    expect(r.result).toMatchObject({ changed: false });
    writeFileSync(join(d, 'real/target.conf'), 'x=1\n');
    symlinkSync(join(d, 'real/target.conf'), join(d, 'conf-link'));
    const { chmodSync } = await import('node:fs');
    chmodSync(join(d, 'real/target.conf'), 0o644);
    // follow: the link's own mode (lstat) is 0777: without following it, mode 0644 would be "changed" on every run
    const c = await runLocal(copyModule, { dest: join(d, 'conf-link'), content: 'x=1\n', mode: '0644', follow: true });
    expect(c.result, c.result.msg).toMatchObject({ changed: false });
    // follow off (Ansible's default): the link itself is replaced by a file, once
    const { lstatSync } = await import('node:fs');
    const r1 = await runLocal(copyModule, { dest: join(d, 'conf-link'), content: 'x=1\n', mode: '0644' });
    expect(r1.result, r1.result.msg).toMatchObject({ changed: true });
    expect(lstatSync(join(d, 'conf-link')).isFile()).toBe(true);
    expect((await runLocal(copyModule, { dest: join(d, 'conf-link'), content: 'x=1\n', mode: '0644' })).result.changed).toBe(false);
  });
});
