import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { controllerFileReader } from './controller-files.js';

const dir = mkdtempSync(join(tmpdir(), 'rb-ctlfiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** a reader whose `open` counts the reads that really happened */
function reader(): { read: (p: string) => Promise<string>; opened: string[] } {
  const opened: string[] = [];
  return {
    opened,
    read: controllerFileReader(dir, (text, p) => {
      opened.push(p);
      return text.toUpperCase();
    }),
  };
}

describe('controllerFileReader', () => {
  it('reads a file once while it stays the same, through open', async () => {
    writeFileSync(join(dir, 'a.j2'), 'hello {{ x }}\n');
    const r = reader();
    for (let i = 0; i < 5; i++) expect(await r.read('a.j2')).toBe('HELLO {{ X }}\n');
    expect(r.opened).toEqual(['a.j2']);
    // the same file by its absolute path is the same file
    expect(await r.read(join(dir, 'a.j2'))).toBe('HELLO {{ X }}\n');
    expect(r.opened).toEqual(['a.j2']);
  });

  it('reads a file once when many hosts ask at the same time; a read that fails is not kept', async () => {
    writeFileSync(join(dir, 'herd.j2'), 'all at once\n');
    const r = reader();
    const texts = await Promise.all(Array.from({ length: 50 }, () => r.read('herd.j2')));
    expect(new Set(texts)).toEqual(new Set(['ALL AT ONCE\n']));
    expect(r.opened).toEqual(['herd.j2']);
    // open throws (a vault file with a wrong password): every caller fails, the next one tries again
    let fail = true;
    const flaky = controllerFileReader(dir, (text) => {
      if (fail) throw new Error('cannot open');
      return text;
    });
    const first = await Promise.allSettled([flaky('herd.j2'), flaky('herd.j2')]);
    expect(first.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await flaky('herd.j2')).toBe('all at once\n');
  });

  it('reads it again once it was written, even with the same size and modification time', async () => {
    const f = join(dir, 'b.j2');
    writeFileSync(f, 'one\n');
    const r = reader();
    expect(await r.read('b.j2')).toBe('ONE\n');
    writeFileSync(f, 'two\n');
    // the same mtime as before: the change time still moves
    utimesSync(f, new Date(2020, 0, 1), new Date(2020, 0, 1));
    expect(await r.read('b.j2')).toBe('TWO\n');
    writeFileSync(f, 'six\n');
    utimesSync(f, new Date(2020, 0, 1), new Date(2020, 0, 1));
    expect(await r.read('b.j2')).toBe('SIX\n');
    // replaced by another file (a new inode) of the same size
    writeFileSync(join(dir, 'b.new'), 'ten\n');
    rmSync(f);
    writeFileSync(f, 'ten\n');
    expect(await r.read('b.j2')).toBe('TEN\n');
    expect(r.opened).toHaveLength(4);
  });

  it('fails as a plain read fails: a missing file, a directory', async () => {
    const r = reader();
    await expect(r.read('missing.j2')).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(`open '${join(dir, 'missing.j2')}'`) as unknown });
    mkdirSync(join(dir, 'd'));
    await expect(r.read('d')).rejects.toMatchObject({ code: 'EISDIR' });
    expect(r.opened).toEqual([]);
  });
});

describe('controllerFileReader keeps little', () => {
  it('reads a source larger than 1 MiB each time', async () => {
    writeFileSync(join(dir, 'big.j2'), 'x'.repeat((1 << 20) + 1));
    const r = reader();
    for (let i = 0; i < 3; i++) expect((await r.read('big.j2')).length).toBe((1 << 20) + 1);
    expect(r.opened).toEqual(['big.j2', 'big.j2', 'big.j2']);
  });

  it('keeps 32 files: the one read first is read again', async () => {
    const names = Array.from({ length: 33 }, (_, i) => `f${i}.j2`);
    for (const n of names) writeFileSync(join(dir, n), n);
    const r = reader();
    for (const n of names) await r.read(n);
    // the newest 32 are kept, the first went out
    for (const n of names.slice(1)) await r.read(n);
    expect(r.opened).toHaveLength(33);
    await r.read('f0.j2');
    expect(r.opened).toHaveLength(34);
  });
});
