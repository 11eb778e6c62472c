// bin/runbook.js through V8's code cache (src/cli/code-cache.ts): whatever the cache file holds,
// the CLI does exactly what it does without one, and a bad file is replaced. Runs the built CLI
// (`npm run build`) from a copy of the package in a temporary directory, so that the tests can
// damage, replace and write-protect its dist/bundle without touching the checkout's.
// Needs no lab: it sits in test/e2e because it runs bin/runbook.js as a user does.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

interface Run {
  code: number | null;
  stdout: string;
  /** stderr without the cache's report line */
  stderr: string;
  /** the cache's report: `STATUS, OUTCOME` */
  cache: string;
}

const REPORT = /^runbook: code cache (\S+): (.*)$/m;
const built = existsSync(join(ROOT, 'dist/bundle/main.cjs')) && existsSync(join(ROOT, 'dist/cli/code-cache.js'));

let pkg = '';
let bundleDir = '';
let fixtures = '';

/** A copy of the built package: bin, package.json, dist/cli/code-cache.js and dist/bundle (no cache files); node_modules linked. */
function copyPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-code-cache-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist/cli'), { recursive: true });
  mkdirSync(join(dir, 'dist/bundle'));
  copyFileSync(join(ROOT, 'bin/runbook.js'), join(dir, 'bin/runbook.js'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(ROOT, 'dist/cli/code-cache.js'), join(dir, 'dist/cli/code-cache.js'));
  for (const f of readdirSync(join(ROOT, 'dist/bundle'))) {
    if (!f.endsWith('.cache')) copyFileSync(join(ROOT, 'dist/bundle', f), join(dir, 'dist/bundle', f));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function run(args: string[], opts: { env?: NodeJS.ProcessEnv; node?: string[]; wrap?: string[] } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, RUNBOOK_CODE_CACHE_DEBUG: '1', ...opts.env };
  // the cache's file name depends on Node's options: the tests name none
  delete env.NODE_OPTIONS;
  if (opts.env?.RUNBOOK_CODE_CACHE === undefined) delete env.RUNBOOK_CODE_CACHE;
  const argv = [process.execPath, ...(opts.node ?? []), join(pkg, 'bin/runbook.js'), ...args];
  const [cmd, ...rest] = [...(opts.wrap ?? []), ...argv];
  return new Promise((done) => {
    execFile(cmd ?? '', rest, { cwd: fixtures, env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      const m = REPORT.exec(stderr);
      done({ code, stdout, stderr: stderr.replace(REPORT, '').replace(/^\n/m, ''), cache: m ? `${m[2]}` : `(no report) ${stderr}` });
    });
  });
}

const cacheOf = (command: string): string => join(bundleDir, `main.cjs.${command}.cache`);

/** The next run uses the cache file (V8 accepted it) and does the same as without one. */
async function expectAcceptedNext(args: string[], expected: Run): Promise<void> {
  const again = await run(args);
  expect(again.cache).toMatch(/^accepted, /);
  expect({ code: again.code, stdout: again.stdout, stderr: again.stderr }).toEqual({ code: expected.code, stdout: expected.stdout, stderr: expected.stderr });
}

describe.skipIf(!built)('bin/runbook.js with the code cache (needs `npm run build`)', () => {
  const validate = ['validate', 'good.yml'];
  let reference: Run;

  beforeAll(async () => {
    pkg = copyPackage();
    bundleDir = join(pkg, 'dist/bundle');
    fixtures = mkdtempSync(join(tmpdir(), 'runbook-code-cache-fx-'));
    chmodSync(fixtures, 0o755);
    writeFileSync(join(fixtures, 'good.yml'), '- name: play\n  hosts: all\n  tasks:\n    - name: ok\n      command: echo hi\n');
    writeFileSync(join(fixtures, 'inventory.yml'), 'all:\n  hosts:\n    node1:\n      ansible_host: 192.0.2.1\n');
    writeFileSync(join(fixtures, 'bad.yml'), '- name: play\n  hosts: all\n  tasks:\n    - name: ok\n      command: echo hi\n    - name: broken\n      command: [unclosed\n');
    // what the CLI does without any cache: the reference for every case below
    reference = await run(validate, { env: { RUNBOOK_CODE_CACHE: 'off' } });
    expect(reference.cache).toBe('off, not used');
    expect(reference.code).toBe(0);
    expect(reference.stdout).toBe('good.yml: valid (1 play, 1 task)\n');
  });
  afterAll(() => {
    if (pkg) rmSync(pkg, { recursive: true, force: true });
    if (fixtures) rmSync(fixtures, { recursive: true, force: true });
  });

  it('writes a missing cache at the end of the run, and the next run uses it with the same result', async () => {
    rmSync(cacheOf('validate'), { force: true });
    const first = await run(validate);
    expect(first.cache).toBe('missing, written');
    expect({ code: first.code, stdout: first.stdout, stderr: first.stderr }).toEqual({ code: 0, stdout: reference.stdout, stderr: reference.stderr });
    const header = readFileSync(cacheOf('validate')).subarray(0, 200).toString('latin1');
    expect(header).toMatch(/^runbook-code-cache 1 run \S+ [0-9a-f]{64}\n/);
    const second = await run(validate);
    expect(second.cache).toBe('accepted, kept');
    expect(second.stdout).toBe(reference.stdout);
    // no temporary file is left beside the bundle
    expect(readdirSync(bundleDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a cache with a damaged byte is not used: the run is correct and replaces it', async () => {
    await run(validate);
    const file = readFileSync(cacheOf('validate'));
    const at = file.indexOf(10) + 1 + Math.floor((file.length - file.indexOf(10)) / 2);
    file[at] = (file[at] ?? 0) ^ 0x5a;
    writeFileSync(cacheOf('validate'), file);
    const r = await run(validate);
    expect(r.cache).toBe('corrupt, written');
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: reference.stdout, stderr: reference.stderr });
    expect(readFileSync(cacheOf('validate')).equals(file)).toBe(false);
    await expectAcceptedNext(validate, reference);
  });

  it('a truncated or foreign cache file is not used and is replaced', async () => {
    for (const content of [Buffer.alloc(0), Buffer.from('not a cache at all'), readFileSync(join(ROOT, 'package.json'))]) {
      writeFileSync(cacheOf('validate'), content);
      const r = await run(validate);
      expect(r.cache).toBe('corrupt, written');
      expect(r.stdout).toBe(reference.stdout);
      expect(r.code).toBe(0);
    }
    await expectAcceptedNext(validate, reference);
  });

  it('a cache made from another build of the bundle is stale: not used, replaced', async () => {
    await run(validate);
    // the same text written again: a new build as far as the cache can tell (the ctime moved)
    const bundle = join(bundleDir, 'main.cjs');
    const before = statSync(bundle, { bigint: true }).ctimeNs;
    writeFileSync(bundle, readFileSync(bundle));
    expect(statSync(bundle, { bigint: true }).ctimeNs).not.toBe(before);
    const r = await run(validate);
    expect(r.cache).toBe('stale, written');
    expect(r.stdout).toBe(reference.stdout);
    await expectAcceptedNext(validate, reference);
  });

  it('a cache that V8 rejects (made under other V8 flags) is not used: the run is correct and replaces it', async () => {
    // --no-opt: V8 refuses its code cache under other flags. The run under it writes its own file
    // (the name carries a hash of Node's options); copied under the plain name, its header is right
    // for this bundle, so only V8 can refuse it.
    const other = await run(validate, { node: ['--no-opt'] });
    expect(other.cache).toBe('missing, written');
    const otherFile = readdirSync(bundleDir).find((f) => /^main\.cjs\.validate-[0-9a-f]{8}\.cache$/.test(f));
    expect(otherFile).toBeDefined();
    copyFileSync(join(bundleDir, otherFile ?? ''), cacheOf('validate'));
    const r = await run(validate);
    expect(r.cache).toBe('rejected, written');
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: reference.stdout, stderr: reference.stderr });
    await expectAcceptedNext(validate, reference);
  });

  it('a cache file others may write is not trusted: not used, replaced by one with the usual mode', async () => {
    await run(validate);
    chmodSync(cacheOf('validate'), 0o666);
    const r = await run(validate);
    expect(r.cache).toBe('untrusted, written');
    expect(r.stdout).toBe(reference.stdout);
    expect(statSync(cacheOf('validate')).mode & 0o022).toBe(0);
    await expectAcceptedNext(validate, reference);
  });

  it('the error boundary is unchanged through the cached path: bad YAML gives file:line:col and exit 1', async () => {
    const args = ['validate', 'bad.yml'];
    const off = await run(args, { env: { RUNBOOK_CODE_CACHE: 'off' } });
    expect(off.code).toBe(1);
    expect(off.stdout + off.stderr).toMatch(/^bad\.yml:8:1: error: YAML syntax error/m);
    expect(off.stdout + off.stderr).not.toMatch(/\n\s+at /);
    // the validate cache exists and is accepted: the failing run goes through it
    await run(validate);
    const cached = await run(args);
    expect(cached.cache).toBe('accepted, kept');
    expect({ code: cached.code, stdout: cached.stdout, stderr: cached.stderr }).toEqual({ code: off.code, stdout: off.stdout, stderr: off.stderr });
    // the same through apply, whose cache is made here by its first run
    const apply = ['apply', 'bad.yml', '-i', 'inventory.yml'];
    const applyOff = await run(apply, { env: { RUNBOOK_CODE_CACHE: 'off' } });
    expect(applyOff.code).toBe(1);
    expect(applyOff.stderr).toMatch(/^bad\.yml:8:1: error: YAML syntax error/m);
    await run(['apply', 'good.yml', '-i', 'inventory.yml', '--list-tasks']);
    const applyCached = await run(apply);
    expect(applyCached.cache).toMatch(/^accepted, /);
    expect({ code: applyCached.code, stdout: applyCached.stdout, stderr: applyCached.stderr }).toEqual({ code: applyOff.code, stdout: applyOff.stdout, stderr: applyOff.stderr });
  });

  it('a read-only dist/ runs with a bad cache, without one and with a good one, and writes nothing', async () => {
    await run(validate);
    rmSync(cacheOf('doc'), { force: true });
    // a damaged validate cache that cannot be replaced
    const damaged = readFileSync(cacheOf('validate'));
    damaged[damaged.length - 10] = (damaged[damaged.length - 10] ?? 0) ^ 0xff;
    writeFileSync(cacheOf('validate'), damaged);
    const before = readdirSync(bundleDir).sort();
    // root may write anywhere: a read-only bind mount of dist/bundle in a mount namespace of its own
    const asRoot = process.getuid?.() === 0;
    const wrap = asRoot ? ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `mount --bind -o ro "$0" "$0" && exec "$@"`, bundleDir] : [];
    if (!asRoot) chmodSync(bundleDir, 0o555);
    try {
      const r = await run(validate, { wrap });
      expect(r.cache).toBe('corrupt, not written (cannot write beside the bundle)');
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: reference.stdout, stderr: reference.stderr });
      const doc = await run(['doc', 'copy'], { wrap });
      expect(doc.cache).toBe('missing, not written (cannot write beside the bundle)');
      expect(doc.code).toBe(0);
      expect(doc.stdout).toMatch(/^# copy\n/);
      const good = await run(['--version'], { wrap });
      expect(good.code).toBe(0);
      expect(good.stdout).toBe(`${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`);
    } finally {
      if (!asRoot) chmodSync(bundleDir, 0o755);
    }
    expect(readdirSync(bundleDir).sort()).toEqual(before);
    expect(readFileSync(cacheOf('validate')).equals(damaged)).toBe(true);
  });
});
