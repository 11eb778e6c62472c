// The host command loop's pure parts (frames, the end-line scanner) and the loop itself in a
// real bash on this machine, fed frames on a pipe as sshd would feed it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rawCommand } from './command.js';
import { EndScanner, HEADER_LEN, MUX_MAX_BYTES, endTagOf, muxCanCarry, muxFrame, muxLoop, muxReadyTag, wrapForMux } from './mux.js';
import { newNonce } from './wrap.js';

describe('muxFrame', () => {
  it('is the tag, how the input goes, the byte counts of script and input, the script, the input', () => {
    const tag = endTagOf(newNonce());
    // a short input ending in a newline goes as a here-string, which adds the newline back
    const f = muxFrame(tag, 'echo é', 'in\n')!;
    expect(f.length).toBe(HEADER_LEN + 7 + 2);
    expect(f.toString('latin1', 0, HEADER_LEN)).toBe(`${tag}h00000000070000000002`);
    expect(f.subarray(HEADER_LEN).toString('utf8')).toBe('echo éin');
    expect(muxFrame(tag, 'cat', 'no newline')!.toString('latin1', 0, HEADER_LEN)).toBe(`${tag}p00000000030000000010`);
    expect(muxFrame(tag, 'cat', `${'x'.repeat(5000)}\n`)!.toString('latin1', 0, HEADER_LEN)).toBe(`${tag}p00000000030000005001`);
    expect(muxFrame(tag, 'cat', undefined)!.toString('latin1', 0, HEADER_LEN)).toBe(`${tag}n00000000030000000000`);
  });
  it('refuses an empty or too big script; inputs with a NUL or too big cannot travel', () => {
    const tag = endTagOf(newNonce());
    expect(muxFrame(tag, '', undefined)).toBeUndefined();
    expect(muxFrame(tag, 'x'.repeat(MUX_MAX_BYTES + 1), undefined)).toBeUndefined();
    expect(muxCanCarry(Buffer.from([1, 0, 2]))).toBe(false);
    expect(muxCanCarry('a\0b')).toBe(false);
    expect(muxCanCarry(Buffer.alloc(MUX_MAX_BYTES + 1, 1))).toBe(false);
    expect(muxCanCarry('plain text\n')).toBe(true);
    expect(muxCanCarry(undefined)).toBe(true);
  });
});

describe('EndScanner', () => {
  const tag = endTagOf(newNonce());
  it('passes output through and finds the end line, also split over chunks at every byte', () => {
    const whole = Buffer.from(`some output ${tag.slice(0, 5)} more${tag}:42\nlate`, 'latin1');
    for (let cut = 0; cut <= whole.length; cut++) {
      const s = new EndScanner(tag);
      const a = s.push(whole.subarray(0, cut));
      const b = a.end ? { data: Buffer.alloc(0), end: a.end } : s.push(whole.subarray(cut));
      const got = Buffer.concat([a.data, b.data]).toString('latin1');
      expect(got).toBe(`some output ${tag.slice(0, 5)} more`);
      expect(a.end?.code ?? b.end?.code).toBe(42);
    }
  });
  it('gives back bytes held as a possible end line when the stream ends without one', () => {
    const s = new EndScanner(tag);
    expect(s.push(Buffer.from(`abc${tag.slice(0, 10)}`, 'latin1')).data.toString()).toBe('abc');
    expect(s.rest()?.toString('latin1')).toBe(tag.slice(0, 10));
  });
});

/** A loop in a real bash: send commands, get their streams and exit codes. */
function localLoop() {
  const ready = muxReadyTag(newNonce());
  const child = spawn('bash', ['-c', muxLoop(ready)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = Buffer.alloc(0);
  let err = Buffer.alloc(0);
  child.stdout.on('data', (d: Buffer) => (out = Buffer.concat([out, d])));
  child.stderr.on('data', (d: Buffer) => (err = Buffer.concat([err, d])));
  const strip = (b: Buffer): string => {
    const t = b.toString('latin1');
    const line = t.indexOf(`${ready}:`);
    return line === -1 ? t : t.slice(t.indexOf('\n', line) + 1);
  };
  return {
    async run(script: string, input?: string | Buffer): Promise<{ out: string; err: string; code: number }> {
      const tag = endTagOf(newNonce());
      out = Buffer.alloc(0);
      err = Buffer.alloc(0);
      const frame = muxFrame(tag, script, input);
      if (!frame) throw new Error('no frame');
      child.stdin.write(frame);
      for (let i = 0; i < 500; i++) {
        const o = out.toString('latin1');
        const e = err.toString('latin1');
        if (o.includes(`${tag}:`) && o.endsWith('\n') && e.includes(`${tag}:`)) {
          const so = strip(out);
          const se = strip(err);
          const at = so.indexOf(`${tag}:`);
          return { out: so.slice(0, at), err: se.slice(0, se.indexOf(`${tag}:`)), code: Number(so.slice(at + tag.length + 1).trim()) };
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no end line: ${out.toString('latin1')} / ${err.toString('latin1')}`);
    },
    close: () => child.stdin.end(),
    exited: new Promise<number | null>((r) => child.on('exit', (c) => r(c))),
  };
}

describe('the loop in a real bash', () => {
  it('runs commands in turn with their own streams, input and exit codes', async () => {
    const l = localLoop();
    expect(await l.run('echo out; echo err >&2; exit 3')).toEqual({ out: 'out\n', err: 'err\n', code: 3 });
    expect(await l.run('cat; printf "|%s" "$#"', 'ünïcode\n\\no newline')).toEqual({ out: 'ünïcode\n\\no newline|0'.replace(/[^\0-\x7f]/g, (c) => Buffer.from(c).toString('latin1')), err: '', code: 0 });
    // every way the input can go arrives byte for byte
    for (const input of ['\n', '\n\n', 'a\n', `${'y'.repeat(4095)}\n`, `${'z'.repeat(4096)}\n`, 'x'.repeat(70000), `${'w'.repeat(70000)}\n`]) {
      const r = await l.run('md5sum', input);
      expect(r).toEqual({ out: `${createHash('md5').update(input).digest('hex')}  -\n`, err: '', code: 0 });
    }
    // what a command leaves unread is gone with it; the next one reads nothing
    expect((await l.run('true', 'unread')).code).toBe(0);
    expect(await l.run('cat')).toEqual({ out: '', err: '', code: 0 });
    l.close();
    expect(await l.exited).toBe(0);
  });

  it('starts each command from a fresh state, in a process group of its own', async () => {
    const l = localLoop();
    await l.run('cd /; X=1; export Y=2; set -e; f() { :; }');
    const r = await l.run('pwd; echo "[${X-}][${Y-}][$-]"; type f >/dev/null 2>&1 || echo nofunc; set | grep -c "^__rb_"; ps -o pgid= -p $BASHPID; echo $BASHPID');
    const [pwd, vars, fn, mine, pgid, pid] = r.out.trim().split('\n');
    expect(pwd).not.toBe('/');
    expect(vars).toMatch(/^\[\]\[\]\[[^emu]*\]$/);
    expect(fn).toBe('nofunc');
    expect(mine).toBe('0');
    expect(pgid?.trim()).toBe(pid);
    l.close();
  });

  it('a script wrapped for the loop prints its pid line with the subshell pid', async () => {
    const l = localLoop();
    const w = wrapForMux(rawCommand('echo "[$BASHPID]"'), { cwd: '/tmp', env: { RB_E: 'v' } }, newNonce());
    const r = await l.run(w.text);
    const m = new RegExp(`^${w.pidTag}:(\\d+)\\n\\[(\\d+)\\]\\n$`).exec(r.out);
    expect(m?.[1]).toBe(m?.[2]);
    l.close();
  });
});

describe('the loop under a login shell that is not a plain bash', () => {
  /** the loop as `SHELL -c` runs it in a fresh directory, with a frame already on its stdin */
  async function under(argv: string[]): Promise<{ code: number | null; out: string; err: string; left: string[] }> {
    const dir = mkdtempSync(join(tmpdir(), 'rb-mux-shell-'));
    try {
      const ready = muxReadyTag(newNonce());
      const child = spawn(argv[0]!, [...argv.slice(1), '-c', muxLoop(ready)], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdin.on('error', () => {});
      child.stdin.end(muxFrame(endTagOf(newNonce()), 'echo ran > ran.txt', undefined));
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      return { code, out, err, left: readdirSync(dir) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it.each([
    ['dash (a login shell /bin/sh on Debian)', ['dash']],
    ['bash in POSIX mode (a login shell named sh)', ['bash', '--posix']],
    ['restricted bash', ['bash', '-r']],
  ])('%s ends it at once: no ready line, nothing run, nothing written', async (_name, argv) => {
    const r = await under(argv);
    expect(r).toMatchObject({ code: 3, out: '', left: [] });
  });

  it('a plain bash runs it, and the frame it was given', async () => {
    const r = await under(['bash']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/__RUNBOOK_MUX_\w+:\d+\n/);
    expect(r.left).toEqual(['ran.txt']);
  });
});

