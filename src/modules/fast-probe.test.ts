// The one-command paths of copy/template/file/lineinfile run the module's probe and then
// classify the host's state: the classify step must read the probe's stat line and checksum
// (fileFact's `keep`), not run `stat`/`sha256sum` again. Counted for real: the modules run on
// this machine (LocalTransport, /bin/sh) with `stat`, `sha256sum` and `grep` behind shims on
// PATH that log each start.
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from './testing/local-context.js';
import { fileModule } from './file.js';
import { copyModule } from './copy.js';
import { lineinfileModule } from './lineinfile.js';
import { statModule } from './stat.js';
import type { ModuleDefinition } from './types.js';

const TOOLS = ['stat', 'sha256sum', 'sha1sum', 'grep', 'cat', 'file', 'lsattr', 'realpath'];
let shims = '';
let log = '';
let savedPath: string | undefined;

beforeAll(() => {
  shims = mkdtempSync(join(tmpdir(), 'rb-shims-'));
  log = join(shims, 'log');
  for (const t of TOOLS) {
    const real = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => join(d, t)).find((p) => existsSync(p));
    if (!real) continue; // not installed here: the probe's `command -v` sees that, as on a host
    writeFileSync(join(shims, t), `#!/bin/sh\necho ${t} >> ${log}\nexec ${real} "$@"\n`);
    chmodSync(join(shims, t), 0o755);
  }
  savedPath = process.env.PATH;
  process.env.PATH = `${shims}:${savedPath ?? '/usr/bin:/bin'}`;
});
afterAll(() => {
  process.env.PATH = savedPath;
});

/** How often each tool started while `fn` ran. */
async function starts(fn: () => Promise<unknown>): Promise<Record<string, number>> {
  writeFileSync(log, '');
  await fn();
  const out: Record<string, number> = {};
  for (const l of readFileSync(log, 'utf8').split('\n').filter(Boolean)) out[l] = (out[l] ?? 0) + 1;
  return out;
}

/** The second (no-change) run: its result, its remote commands, and how often each tool started. */
async function secondRun<A>(m: ModuleDefinition<A>, args: A): Promise<{ changed: boolean; msg: string; commands: number; starts: Record<string, number> }> {
  const first = await runLocal(m, args);
  expect(first.result.failed ?? false, first.result.msg).toBe(false);
  writeFileSync(log, '');
  const second = await runLocal(m, args);
  expect(second.result.failed ?? false, second.result.msg).toBe(false);
  const starts: Record<string, number> = {};
  for (const l of readFileSync(log, 'utf8').split('\n').filter(Boolean)) starts[l] = (starts[l] ?? 0) + 1;
  return { changed: second.result.changed, msg: second.result.msg ?? '', commands: second.commands.length, starts };
}

describe('one-command paths: the classify step reuses the probe', () => {
  it('file state=directory mode=0755: one stat', async () => {
    const d = join(mkdtempSync(join(tmpdir(), 'rb-fp-')), 'dir');
    const r = await secondRun(fileModule, { path: d, state: 'directory', mode: '0755' });
    expect(r).toMatchObject({ changed: false, commands: 1, starts: { stat: 1 } });
    expect(r.msg).toBe(`${d} is already a directory with the wanted attributes`);
  });

  it('file state=file mode=0640 owner group: one stat', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-fp-'));
    writeFileSync(join(d, 'f'), 'x');
    const r = await secondRun(fileModule, { path: join(d, 'f'), state: 'file', mode: '0640', owner: String(process.getuid?.() ?? 0), group: String(process.getgid?.() ?? 0) });
    expect(r).toMatchObject({ changed: false, commands: 1, starts: { stat: 1 } });
  });

  it('copy content= with a mode: one stat, one sha256sum (the parent is not stat-ed: the file is there)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-fp-'));
    const r = await secondRun(copyModule, { dest: join(d, 'motd'), content: 'hello\n', mode: '0644' });
    expect(r).toEqual({ changed: false, msg: `${join(d, 'motd')} already has this content`, commands: 1, starts: { stat: 1, sha256sum: 1 } });
  });

  it('copy into a directory (src, dest a directory): one stat per path asked, one sha256sum', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-fp-'));
    writeFileSync(join(d, 'src.txt'), 'from the controller\n');
    const r2 = await secondRun(copyModule, { src: join(d, 'src.txt'), dest: d });
    // the destination directory and the file inside it: two stats, the file's checksum once
    expect(r2).toMatchObject({ changed: false, commands: 1, starts: { stat: 2, sha256sum: 1 } });
  });

  it('lineinfile with a mode: one stat, the file read once, one grep', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-fp-'));
    writeFileSync(join(d, 'seed'), 'alpha\n');
    const r = await secondRun(lineinfileModule, { path: join(d, 'seed'), line: 'tuned = yes', mode: '0644' });
    expect(r).toEqual({ changed: false, msg: '', commands: 1, starts: { stat: 1, cat: 1, grep: 1 } });
  });

  it('a changed attribute is still found and fixed in the same command', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-fp-'));
    const dir = join(d, 'dir');
    await runLocal(fileModule, { path: dir, state: 'directory', mode: '0755' });
    chmodSync(dir, 0o700);
    writeFileSync(log, '');
    const r = await runLocal(fileModule, { path: dir, state: 'directory', mode: '0755' });
    expect(r.result).toMatchObject({ changed: true, msg: `${dir}: mode 0700 → 0755` });
    expect(r.commands).toHaveLength(1);
    expect(readFileSync(log, 'utf8').split('\n').filter((l) => l === 'stat')).toHaveLength(2); // the probe's, and the path info after the change
  });
});

describe('stat: one stat, and the extra tools only for what the task asks', () => {
  const has = (t: string) => ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].some((d) => existsSync(join(d, t)));

  it('defaults (Ansible\'s: checksum, mime, attributes): stat, sha1sum, file, lsattr once each; no realpath for a file', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-fp-'));
    writeFileSync(join(d, 'app.conf'), 'x = 1\n');
    let result: Record<string, unknown> = {};
    const n = await starts(async () => (result = (await runLocal(statModule, { path: join(d, 'app.conf') })).result.data ?? {}));
    expect(n).toEqual({ stat: 1, sha1sum: 1, ...(has('file') ? { file: 1 } : {}), ...(has('lsattr') ? { lsattr: 1 } : {}) });
    const st = result.stat as Record<string, unknown>;
    expect(st).toMatchObject({ exists: true, isreg: true, blocks: expect.any(Number) as number, block_size: expect.any(Number) as number, mimetype: has('file') ? 'text/plain' : 'unknown' });
  });

  it('get_checksum/get_mime/get_attributes off: one stat and nothing else; no mimetype reported', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-fp-'));
    writeFileSync(join(d, 'f'), 'x');
    let result: Record<string, unknown> = {};
    const n = await starts(async () => (result = (await runLocal(statModule, { path: join(d, 'f'), get_checksum: false, get_mime: false, get_attributes: false })).result.data ?? {}));
    expect(n).toEqual({ stat: 1 });
    expect(result.stat).not.toHaveProperty('mimetype');
    expect(result.stat).not.toHaveProperty('attributes');
  });

  it('a link without follow: realpath for lnk_source', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rb-fp-'));
    writeFileSync(join(d, 'target'), 'x');
    symlinkSync('target', join(d, 'link'));
    let result: Record<string, unknown> = {};
    const n = await starts(async () => (result = (await runLocal(statModule, { path: join(d, 'link'), get_mime: false, get_attributes: false })).result.data ?? {}));
    expect(n).toEqual({ stat: 1, realpath: 1 });
    expect(result.stat).toMatchObject({ islnk: true, lnk_target: 'target', lnk_source: join(d, 'target') });
  });
});
