// The async job wrapper and async_status on this machine's real /bin/sh (the lab test runs the
// same over SSH + sudo): the result file is Ansible's JSON, output survives JSON escaping,
// a finished job's file is removed once read, unknown and malformed job ids fail clearly.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asyncStatus, startAsyncJob } from './async-status.js';
import { shellModule } from './command.js';
import { localContext } from './testing/local-context.js';
import type { ModuleResult } from './types.js';

let dir: string;
const saved = process.env.ANSIBLE_ASYNC_DIR;

async function waitFinished(jid: string): Promise<ModuleResult> {
  const ctx = localContext();
  for (let i = 0; i < 50; i++) {
    const r = await asyncStatus(ctx, { jid });
    if (r.data?.finished === 1) return r;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error('job did not finish');
}

describe('async jobs (local /bin/sh)', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rb-async-'));
    process.env.ANSIBLE_ASYNC_DIR = dir;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.ANSIBLE_ASYNC_DIR;
    else process.env.ANSIBLE_ASYNC_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts detached, reads as running, then finished with the command result; the file is gone once read', async () => {
    const ctx = localContext();
    const started = await startAsyncJob(ctx, 'shell', shellModule.schema, { cmd: `sleep 0.5; printf 'a\\tb "c" \\\\ d\\n\\nlast\\n\\n'; echo oops >&2; exit 2` }, 30);
    expect(started).toMatchObject({ changed: true, data: { started: 1, finished: 0 } });
    const jid = String(started.data?.ansible_job_id);
    expect(jid).toMatch(/^\d+\.\d+$/);
    expect(started.data?.results_file).toBe(join(dir, jid));
    const running = await asyncStatus(ctx, { jid });
    expect(running).toMatchObject({ changed: false, data: { started: 1, finished: 0, ansible_job_id: jid } });
    const done = await waitFinished(jid);
    expect(done).toMatchObject({ changed: true, failed: true, msg: 'non-zero return code' });
    expect(done.data).toMatchObject({ finished: 1, rc: 2, stdout: 'a\tb "c" \\ d\n\nlast', stderr: 'oops', stdout_lines: ['a\tb "c" \\ d', '', 'last'], erased: join(dir, jid) });
    expect(String(done.data?.delta)).toMatch(/^0:00:0\d\.\d{6}$/);
    expect(readdirSync(dir)).toEqual([]);
    // read again: the job is gone, as Ansible says it
    expect(await asyncStatus(ctx, { jid })).toMatchObject({ failed: true, msg: 'could not find job', data: { finished: 1 } });
  });

  it('a result renamed over the launcher line while it is read is never lost (the file is read once)', async () => {
    // the job renames its result over the launcher's `{"started": ...}` line at any moment; here
    // a `cat` on PATH does that rename right after it has printed the launcher line, the exact
    // interleaving that made a second read see the result and remove it unreported
    const bin = mkdtempSync(join(tmpdir(), 'rb-async-bin-'));
    const jid = '77.1';
    writeFileSync(join(dir, jid), '{"started": 1, "finished": 0, "ansible_job_id": "77.1"}');
    writeFileSync(join(bin, 'final'), JSON.stringify({ cmd: 'true', rc: 0, stdout: 'done', stderr: '', changed: true, failed: false, msg: '' }));
    writeFileSync(join(bin, 'cat'), `#!/bin/sh\n/bin/cat "$@"\n[ "$1" = "${join(dir, jid)}" ] && [ -f "${join(bin, 'final')}" ] && /bin/mv -f "${join(bin, 'final')}" "$1"\nexit 0\n`, { mode: 0o755 });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path ?? ''}`;
    try {
      const ctx = localContext();
      expect(await asyncStatus(ctx, { jid })).toMatchObject({ changed: false, data: { started: 1, finished: 0 } });
      expect(await asyncStatus(ctx, { jid })).toMatchObject({ changed: true, data: { finished: 1, rc: 0, stdout: 'done' } });
    } finally {
      process.env.PATH = path;
      rmSync(bin, { recursive: true, force: true });
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a creates= skip is the job result; cleanup erases; bad ids and unparseable files fail clearly', async () => {
    const ctx = localContext();
    const s = await startAsyncJob(ctx, 'shell', shellModule.schema, { cmd: 'echo never', creates: dir }, 30);
    const done = await waitFinished(String(s.data?.ansible_job_id));
    expect(done).toMatchObject({ changed: false, data: { rc: 0, stdout: `skipped, since '${dir}' exists` } });
    const bad = await asyncStatus(ctx, { jid: '../etc/passwd' });
    expect(bad.failed).toBe(true);
    expect(bad.msg).toContain("invalid jid '../etc/passwd'");
    writeFileSync(join(dir, '1.2'), 'not json');
    expect(await asyncStatus(ctx, { jid: '1.2' })).toMatchObject({ failed: true, msg: 'Could not parse job output: not json' });
    writeFileSync(join(dir, '3.4'), '{"started": 1, "finished": 0}');
    expect(await asyncStatus(ctx, { jid: '3.4', mode: 'cleanup' })).toMatchObject({ changed: false, data: { erased: join(dir, '3.4') } });
    // the unparseable file was erased once read too, as Ansible's action plugin does
    expect(readdirSync(dir)).toEqual([]);
  });
});
