// fetch: copy a file FROM the host to the controller, as Ansible lays it out: DEST/HOST/PATH
// (or exactly dest with flat). The controller's copy is checksummed first, so the one remote
// command sends the file's bytes only when they differ; the plan (pure) decides, and this
// module's run writes the controller file (Ansible's fetch is an action on the controller
// too), then checks what it wrote against the host's sha1 (validate_checksum).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, normalize, posix, resolve } from 'node:path';
import { fetchFact, type FetchState } from '../facts/fetch.js';
import { boolSchema, toBool } from './util/args.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

export interface FetchArgs {
  src: string;
  dest: string;
  flat?: boolean | string;
  fail_on_missing?: boolean | string;
  validate_checksum?: boolean | string;
}

/** The arguments after prepare: where the file goes on the controller and what is there now. */
export interface FetchPlanArgs extends FetchArgs {
  /** the controller path written */
  target: string;
  /** sha1 of the controller file when it exists */
  localSha1?: string;
  /** md5 of the controller file when it exists */
  localMd5?: string;
  error?: string;
}

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** Ansible's destination: dest/HOST/SRC, or with flat dest itself (dest/ + the file's name when dest ends in /). */
export function fetchTarget(a: FetchArgs, host: string, baseDir: string): string | { error: string } {
  let dest = a.dest.startsWith('~') ? homedir() + a.dest.slice(1) : a.dest;
  if (!isAbsolute(dest)) dest = resolve(baseDir, dest);
  if (toBool(a.flat)) {
    if (a.dest.endsWith('/')) return join(dest, posix.basename(a.src));
    return dest;
  }
  return normalize(`${dest}/${host}/${a.src}`);
}

export function planFetch(a: FetchPlanArgs, st: FetchState, _env?: PlanEnv): Plan {
  if (a.error !== undefined) return failPlan(a.error);
  const src = a.src;
  switch (st.kind) {
    case 'missing':
      if (toBool(a.fail_on_missing, true)) return failPlan('the remote file does not exist', { file: src });
      return noop('the remote file does not exist, not transferring, ignored', { file: src });
    case 'directory':
      return failPlan('remote file is a directory, fetch cannot work on directories', { file: src });
    case 'unreadable':
      return failPlan('file is not readable, fetch cannot work on it', { file: src });
    case 'error':
      return failPlan(`unable to fetch ${src}: ${st.error}`, { file: src });
    case 'file':
      break;
  }
  if (st.sha1 === a.localSha1) {
    return noop(`${a.target} is up to date`, { md5sum: a.localMd5, file: src, dest: a.target, checksum: a.localSha1 });
  }
  if (st.base64 === undefined) return failPlan(`internal error: fetch of ${src} got no content`);
  const bytes = Buffer.from(st.base64, 'base64');
  if (toBool(a.validate_checksum, true) && sha1(bytes) !== st.sha1) {
    return failPlan('checksum mismatch', { file: src, dest: a.target, checksum: sha1(bytes), remote_checksum: st.sha1 });
  }
  // what run() writes on the controller (not registered: it is removed before the result)
  return { commands: [], changed: true, msg: `${src} → ${a.target}`, data: { md5sum: md5(bytes), dest: a.target, remote_md5sum: null, checksum: sha1(bytes), remote_checksum: st.sha1, [WRITE]: st.base64 } };
}

const WRITE = '__fetch_write';

/** Write the fetched bytes to the controller atomically (temp file + rename) and check them. */
function writeLocal(target: string, base64: string, remote: string, validate: boolean): string | undefined {
  const bytes = Buffer.from(base64, 'base64');
  try {
    if (existsSync(target) && statSync(target).isDirectory()) return `dest is an existing directory, use a trailing slash if you want to fetch src into that directory: ${target}`;
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.runbook-${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, target);
  } catch (e) {
    return `cannot write ${target}: ${(e as Error).message}`;
  }
  if (validate && sha1(readFileSync(target)) !== remote) return `checksum mismatch: ${target} does not have the host's content after writing`;
  return undefined;
}

const spec = {
  name: 'fetch',
  schema: moduleSchema({
    properties: {
      src: { type: 'string', minLength: 1, description: 'the file on the host (a file, not a directory)' },
      dest: { type: 'string', minLength: 1, description: 'a directory on the controller (relative: to the playbook\'s); the file goes to DEST/HOST/SRC, or with flat exactly to dest' },
      flat: boolSchema('write to dest itself (dest ending in `/`: dest + the file\'s name) instead of DEST/HOST/SRC', false),
      fail_on_missing: boolSchema('fail when src does not exist on the host', true),
      validate_checksum: boolSchema('check that the controller\'s file has the host\'s sha1 after the transfer', true),
    },
    required: ['src', 'dest'],
  }),
  doc: {
    short: 'Copy a file from the host to the controller',
    description:
      'The controller\'s copy is checksummed first; one read-only command on the host returns its sha1 and, only when it differs, its bytes (base64), so an unchanged fetch moves no content. The controller file is written atomically and its sha1 checked against the host\'s. Under --check nothing is written; the result says whether it would change.',
    returns: {
      dest: 'the controller file',
      checksum: 'sha1 of the controller file',
      md5sum: 'md5 of the controller file',
      remote_checksum: 'sha1 of the host\'s file (when transferred)',
      remote_md5sum: 'always null (as Ansible)',
      file: 'the src (unchanged, missing)',
    },
    example: '- fetch:\n    src: /etc/letsencrypt/live/{{ domain }}/cert.pem\n    dest: certs/\n  # → certs/HOST/etc/letsencrypt/live/DOMAIN/cert.pem',
    notes: ['The file travels base64-encoded through the connection and is held in memory: meant for configuration files and certificates, not for large archives.'],
  },
  prepare(ctx: ModuleContext, a: FetchArgs): Promise<FetchPlanArgs> {
    const host = typeof ctx.vars.inventory_hostname === 'string' ? ctx.vars.inventory_hostname : ctx.host;
    const base = typeof ctx.vars.playbook_dir === 'string' ? ctx.vars.playbook_dir : process.cwd();
    const target = fetchTarget(a, host, base);
    if (typeof target !== 'string') return Promise.resolve({ ...a, target: '', error: target.error });
    const p: FetchPlanArgs = { ...a, target };
    try {
      if (statSync(target).isFile()) {
        const b = readFileSync(target);
        p.localSha1 = sha1(b);
        p.localMd5 = md5(b);
      }
    } catch {
      // no controller copy yet
    }
    return Promise.resolve(p);
  },
  probe: (a: FetchPlanArgs) => (a.error === undefined ? fetchFact(a.src, a.localSha1) : undefined),
  plan: planFetch,
};

const planned = defineModule<FetchArgs, FetchState, FetchPlanArgs>(spec);

export const fetchModule: ModuleDefinition<FetchArgs> & typeof spec = {
  ...planned,
  ...spec,
  async run(ctx, args): Promise<ModuleResult> {
    const r = await planned.run(ctx, args);
    const data = r.data;
    if (!data || !(WRITE in data)) return r;
    const base64 = data[WRITE] as string;
    delete data[WRITE];
    if (ctx.check) return r;
    const err = writeLocal(data.dest as string, base64, data.remote_checksum as string, toBool(args.validate_checksum, true));
    return err ? { ...r, changed: false, failed: true, msg: err } : r;
  },
};
