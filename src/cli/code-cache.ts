// Start-up of the bundled CLI with V8's code cache: bin/runbook.js loads dist/bundle/main.cjs
// (scripts/bundle.js) through loadBundle().
//
// Why: every `runbook` process parsed and compiled the bundle's JavaScript before doing anything;
// for `apply --list-tasks` that was the largest single part of its 0.23 CPU-s (V8's
// compileSourceTextModule, then the lazy compiles of each function on first call). Node 20 has no
// code cache for ES modules, so the CLI is bundled as one CommonJS file and compiled here with
// vm.Script, handing V8 the bytecode it serialised after an earlier run of the same command
// (`cachedData`): functions that ran then are neither parsed nor compiled again.
//
// One cache file per command (`main.cjs.apply.cache`, ...): each holds what its command runs, and
// bin/runbook.js sets some V8 flags per command (certs), which V8 checks. Node or V8 options
// (execArgv, NODE_OPTIONS) add a hash of themselves to the name, so runs with and without them
// do not keep replacing each other's file.
//
// Correct whatever the file holds: V8 rejects data made by another V8 version or under other
// flags, but in a release build it does not checksum it (a flipped byte in the middle was
// accepted and ran). So the file starts with a header line that names the bundle it was made from
// (device, inode, size, mtime and ctime: any write to the bundle changes its ctime) and the
// SHA-256 of the data. A file that is missing, for another bundle, damaged, or rejected by V8 is
// not used: the bundle compiles from source as it would without a cache, and the run writes a
// new file when it ends.
//
// As trusted as the code: the cache is code, so it lives only beside the bundle (the package's
// own dist/), is used only when its owner is the bundle's and it is writable by no one who cannot
// write the bundle, and is written atomically (a new file in the same directory, then rename).
// It is never looked for or written anywhere else; a read-only dist/ runs without one.
import { accessSync, closeSync, constants, fstatSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync, type BigIntStats } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

/** What became of the cache file at start-up. */
export type CacheStatus =
  /** RUNBOOK_CODE_CACHE=off */
  | 'off'
  | 'accepted'
  | 'missing'
  /** made from another build of the bundle */
  | 'stale'
  /** header or checksum wrong */
  | 'corrupt'
  /** not owned by the bundle's owner, or writable by others */
  | 'untrusted'
  /** V8 refused it (another V8 version or other flags) */
  | 'rejected';

/** Where a cache file came from: a training run of the build, or a real run of its command. */
type Origin = 'build' | 'run';

export interface LoadedBundle<T> {
  /** the bundle's module.exports */
  exports: T;
  status: CacheStatus;
  /** the cache file this run reads and may write */
  cacheFile: string;
  /**
   * Call once the command has finished: writes a new cache file when this one was not usable, or
   * replaces a build's training cache after the first real run of its command. Never throws.
   */
  finish(exitCode: number | string | undefined): void;
}

/**
 * The bundle is one function expression, Node's CommonJS wrapper around esbuild's output
 * (scripts/bundle.js writes these around it): compiled as a script, it evaluates to the function.
 */
export const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) {';
export const WRAPPER_END = '})';

const MAGIC = 'runbook-code-cache 1';
/** the header line is short; a longer one is not ours */
const MAX_HEADER = 512;
/** exit codes after which no cache is written: usage or validation error (also an unknown command), internal error, interrupted */
const NO_WRITE_EXITS = new Set([1, 70, 130]);
/** arguments after which a run is not representative of its command (`apply --list-tasks`) */
const LISTING_ARG = /^(?:--list-[a-z]+|--syntax-check|--help|-h)$/;

/** The cache file's key: the command (its first argument), or `main` for --version, help and anything else. */
export function cacheKey(argv: readonly string[], execArgv: readonly string[], nodeOptions: string | undefined): string {
  const first = argv[0] ?? '';
  const command = /^[a-z]{2,16}$/.test(first) ? first : 'main';
  const options = [...execArgv, nodeOptions ?? ''].join('\0');
  if (execArgv.length === 0 && !nodeOptions) return command;
  return `${command}-${createHash('sha256').update(options).digest('hex').slice(0, 8)}`;
}

function sourceId(st: BigIntStats): string {
  return `${st.dev}-${st.ino}-${st.size}-${st.mtimeNs}-${st.ctimeNs}`;
}

/** The file is as trusted as the bundle: same owner, and no write permission the bundle lacks. */
function trusted(cache: BigIntStats, bundle: BigIntStats): boolean {
  return cache.isFile() && cache.uid === bundle.uid && (cache.mode & 0o022n & ~bundle.mode) === 0n;
}

function header(origin: Origin, id: string, data: Buffer): string {
  return `${MAGIC} ${origin} ${id} ${createHash('sha256').update(data).digest('hex')}\n`;
}

interface ReadCache {
  status: 'missing' | 'stale' | 'corrupt' | 'untrusted' | 'ok';
  data?: Buffer;
  origin?: Origin;
}

function readCache(cacheFile: string, id: string, bundleStat: BigIntStats): ReadCache {
  let fd: number;
  try {
    fd = openSync(cacheFile, 'r');
  } catch {
    return { status: 'missing' };
  }
  try {
    if (!trusted(fstatSync(fd, { bigint: true }), bundleStat)) return { status: 'untrusted' };
    const all = readFileSync(fd);
    const nl = all.subarray(0, MAX_HEADER).indexOf(10);
    if (nl < 0) return { status: 'corrupt' };
    const [magic, version, origin, fileId, sum] = all.toString('latin1', 0, nl).split(' ');
    if (`${magic} ${version}` !== MAGIC || (origin !== 'build' && origin !== 'run')) return { status: 'corrupt' };
    if (fileId !== id) return { status: 'stale' };
    const data = all.subarray(nl + 1);
    if (createHash('sha256').update(data).digest('hex') !== sum) return { status: 'corrupt' };
    return { status: 'ok', data, origin };
  } catch {
    return { status: 'corrupt' };
  } finally {
    closeSync(fd);
  }
}

/** Write `parts` to `file` atomically: a new file beside it, then rename. False when that cannot be done (read-only dist/). */
function writeAtomic(file: string, parts: readonly Buffer[]): boolean {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    for (const p of parts) writeSync(fd, p);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
    return true;
  } catch {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // not created
    }
    return false;
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** A fingerprint of V8's flags as they are now: the code cache data of a tiny script carries V8's flag hash. */
function flagsProbe(probe: Script): string {
  return createHash('sha256').update(probe.createCachedData()).digest('hex');
}

/**
 * Load a CommonJS bundle with V8's code cache kept beside it (see the top of this file).
 * `argv` (without node and the script) picks the cache file; RUNBOOK_CODE_CACHE=off loads without
 * one, =build always writes one (scripts/bundle.js's training runs; =build-final for a training
 * run that does all its command does, whose cache no real run needs to replace). RUNBOOK_CODE_CACHE_DEBUG=1
 * reports on stderr what happened to the cache.
 */
export function loadBundle<T>(file: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): LoadedBundle<T> {
  const setting = env.RUNBOOK_CODE_CACHE;
  const mode = setting === 'off' ? 'off' : setting === 'build' || setting === 'build-final' ? 'build' : 'normal';
  // a training run that does what real runs of its command do (validate) makes a final cache
  const buildOrigin: Origin = setting === 'build-final' ? 'run' : 'build';
  const cacheFile = join(dirname(file), `${basename(file)}.${cacheKey(argv, process.execArgv, env.NODE_OPTIONS)}.cache`);

  // the bundle and its identity from one open file, so a bundle replaced meanwhile cannot pair with the other's stat
  const fd = openSync(file, 'r');
  let bundleStat: BigIntStats;
  let source: string;
  try {
    bundleStat = fstatSync(fd, { bigint: true });
    const bytes = Buffer.allocUnsafe(Number(bundleStat.size));
    let off = 0;
    while (off < bytes.length) {
      const n = readSync(fd, bytes, off, bytes.length - off, off);
      if (n === 0) break;
      off += n;
    }
    // scripts/bundle.js makes the bundle pure ASCII, and latin1 is the cheapest decoding of that
    source = bytes.toString('latin1', 0, off);
  } finally {
    closeSync(fd);
  }
  const id = sourceId(bundleStat);

  const found: ReadCache = mode === 'off' ? { status: 'missing' } : readCache(cacheFile, id, bundleStat);
  if (!source.startsWith(WRAPPER_START)) throw new Error(`${file} is not a bundle made by scripts/bundle.js: run \`npm run build\``);
  const script = new Script(source, {
    filename: file,
    ...(found.data ? { cachedData: found.data } : {}),
  });
  const status: CacheStatus = mode === 'off' ? 'off' : found.status === 'ok' ? (script.cachedDataRejected === true ? 'rejected' : 'accepted') : found.status;

  // Write at the end when the file was unusable, or was a build's training (once: the real run's replaces it);
  // the flags probe is taken now, before the run, so that a run that changes V8's flags
  // (src/cli/heap.ts for big fleets) does not leave a cache the next start would reject.
  const wantWrite = mode === 'build' || (mode === 'normal' && (status !== 'accepted' || (found.origin === 'build' && !argv.some((a) => LISTING_ARG.test(a)))));
  const probe = wantWrite ? new Script('"runbook: V8 flags probe"', { filename: `${file}#probe` }) : undefined;
  const flagsAtStart = probe ? flagsProbe(probe) : '';

  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;
  const mod = { exports: {} as unknown };
  wrapper.call(mod.exports, mod.exports, createRequire(pathToFileURL(file)), mod, file, dirname(file));

  const debug = env.RUNBOOK_CODE_CACHE_DEBUG === '1';
  let finished = false;
  return {
    exports: mod.exports as T,
    status,
    cacheFile,
    finish(exitCode) {
      if (finished) return;
      finished = true;
      let outcome = 'kept';
      try {
        const code = typeof exitCode === 'number' ? exitCode : Number(exitCode ?? 0);
        if (!probe) outcome = mode === 'off' ? 'not used' : 'kept';
        else if (mode !== 'build' && NO_WRITE_EXITS.has(code)) outcome = `not written (exit ${code})`;
        else if (flagsProbe(probe) !== flagsAtStart) outcome = 'not written (V8 flags changed during the run)';
        // asked before serialising (~10 ms for apply's cache): a read-only dist/ pays nothing per run
        else if (!writable(dirname(cacheFile))) outcome = 'not written (cannot write beside the bundle)';
        else {
          const data = script.createCachedData();
          outcome = writeAtomic(cacheFile, [Buffer.from(header(mode === 'build' ? buildOrigin : 'run', id, data), 'latin1'), data]) ? 'written' : 'not written (cannot write beside the bundle)';
        }
      } catch (e) {
        outcome = `not written (${e instanceof Error ? e.message : String(e)})`;
      }
      if (debug) process.stderr.write(`runbook: code cache ${basename(cacheFile)}: ${status}, ${outcome}\n`);
    },
  };
}
