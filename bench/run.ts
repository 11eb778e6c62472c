// `npm run bench`: the fleet benchmark. Brings up N lab fleet hosts, runs the same ten everyday
// tasks on every host with the floor (raw ssh2), runbook (--json, and under a pseudo-terminal with
// the terminal view) and Ansible, first run (fresh host directories) and second run (nothing to
// change), K times each, and prints + writes the medians, ratios and targets. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabInfo } from '../src/lab/types.js';
import { existingLogs, sshdLogCounter } from './commands.js';
import type { CommandCounter } from './commands.js';
import { hostsCpuMs, killActive, measure } from './measure.js';
import type { Context, Outcome, Phase, RunRecord, ToolName } from './report.js';
import { TOOLS, extraProcesses, ratios, summarise, table, targets } from './report.js';
import { startProcCounter } from './procs.js';
import { runSplit, splitText, type SplitResult } from './split.js';
import { checkSlowLink, slowLinkStats, startSlowLink, stopSlowLink } from '../src/lab/index.js';
import { inventoryText } from '../src/lab/inventory.js';
import { ensurePackages } from '../src/lab/packages.js';
import type { ProcCounter } from './procs.js';
import { floorCommands, renderAppConf } from './tasks.js';
import { timeValidate, validateLines } from './validate.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH, '..');
const TASKS = 10;
const LAB_NAME = 'bench';

const USAGE = `usage: npm run bench -- [options]

  --hosts N[,M...]   lab fleet hosts (default 50); a list runs each size in turn (e.g. 50,200)
  --runs K           interleaved rounds (every tool once per round), medians and min/max
                     reported (default 5)
  --tools LIST       comma list of floor,floor-lean,floor-ansible,runbook,baseline,runbook-tty,ansible
                     (default: floor,floor-lean,floor-ansible,runbook; Ansible only up to 200 hosts);
                     floor-lean: the floor handling ssh2 as runbook does (floor.ts);
                     floor-ansible: the floor with Ansible's module semantics (tasks.ts)
  --scale            the 1000-host check: --hosts 1000 --runs 1 --tools floor,runbook;
                     every host must be ok in the recap and max RSS under 300 MiB
  --baseline-dir DIR also measure runbook built in another checkout (tool "baseline"),
                     interleaved with this one: an A/B of a change
  --no-procs         do not count processes per host (process accounting, acct(2))
  --no-validate      do not time \`runbook validate\` of the shipped playbooks
  --slow-link        put every host behind an emulated home uplink (user-space relay between
                     TUN devices, src/lab/slow-link.ts): --link-delay MS one way (default 40,
                     an 80 ms round trip), --link-loss PCT each way (default 1), --link-rate
                     KBIT per direction and host (default: no cap); default 20 hosts
  --forks N          forks for runbook and Ansible (default: = hosts)
  --max-sessions N   sshd MaxSessions of the lab hosts (passed to startLab)
  --lab-info FILE    use a running lab described by this LabInfo JSON (not started/stopped here)
  --verify N         after each tool's first run, check N hosts' end state (default 3)
  --timeout S        end a tool run after S seconds (default 1800)
  --runbook-dir DIR  run runbook from another checkout (built there), e.g. to compare a patch
  --runbook-args=S   extra arguments for runbook apply, split on spaces
                     (e.g. --runbook-args="-e ansible_timeout=300")
  --no-build         do not run \`npm run build\` before runbook
  --split            after the rounds, split runbook's CPU beyond the lean floor's into start-up,
                     per host, per command and per fleet task, by difference of whole runs
                     (bench/split.ts; --runs rounds of seven first runs and the fleet's
                     no-change run each)
  --profile          run runbook under node --cpu-prof (profiles in <results>/prof; slows it:
                     summarise with \`npx tsx bench/profile.ts FILE\`)
  -h, --help`;

interface Options {
  hosts: number;
  /** every size to run, in order (hosts is the first) */
  sizes: number[];
  baselineDir?: string;
  procs: boolean;
  validate: boolean;
  slowLink?: { delayMs: number; lossPct: number; rateKbit?: number };
  runs: number;
  tools: ToolName[];
  forks: number;
  maxSessions?: number;
  labInfo?: string;
  verify: number;
  timeoutS: number;
  build: boolean;
  profile: boolean;
  split: boolean;
  /** checkout whose bin/runbook.js is measured */
  runbookDir: string;
  runbookArgs: string[];
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: 'string' },
      scale: { type: 'boolean' },
      'baseline-dir': { type: 'string' },
      'no-procs': { type: 'boolean' },
      'no-validate': { type: 'boolean' },
      'slow-link': { type: 'boolean' },
      'link-delay': { type: 'string' },
      'link-loss': { type: 'string' },
      'link-rate': { type: 'string' },
      runs: { type: 'string' },
      tools: { type: 'string' },
      forks: { type: 'string' },
      'max-sessions': { type: 'string' },
      'lab-info': { type: 'string' },
      verify: { type: 'string' },
      timeout: { type: 'string' },
      'no-build': { type: 'boolean' },
      profile: { type: 'boolean' },
      split: { type: 'boolean' },
      'runbook-dir': { type: 'string' },
      'runbook-args': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const int = (name: string, v: string | undefined, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} wants an integer >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const scale = values.scale === true;
  const slow = values['slow-link'] === true;
  const num = (name: string, v: string | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} wants a number >= 0, got ${JSON.stringify(v)}`);
    return n;
  };
  const sizes = (values.hosts ?? (scale ? '1000' : slow ? '20' : '50')).split(',').map((h) => int('hosts', h.trim(), 50, 1));
  const hosts = sizes[0] ?? 50;
  let tools: ToolName[];
  if (values.tools !== undefined) {
    tools = values.tools.split(',').map((t) => t.trim()) as ToolName[];
    const bad = tools.filter((t) => !(TOOLS as readonly string[]).includes(t));
    if (bad.length > 0) throw new Error(`--tools: unknown ${bad.join(', ')} (known: ${TOOLS.join(', ')})`);
  } else {
    // the issue's comparison; Ansible (minutes per run) and the pty view only when named
    tools = ['floor', ...(scale ? [] : (['floor-lean', 'floor-ansible'] as const)), 'runbook', ...(values['baseline-dir'] !== undefined ? (['baseline'] as const) : [])];
  }
  if (tools.includes('baseline') && values['baseline-dir'] === undefined) throw new Error('--tools baseline needs --baseline-dir DIR');
  return {
    hosts,
    sizes,
    procs: values['no-procs'] !== true,
    ...(slow
      ? {
          slowLink: {
            delayMs: num('link-delay', values['link-delay'], 40),
            lossPct: num('link-loss', values['link-loss'], 1),
            ...(values['link-rate'] !== undefined ? { rateKbit: num('link-rate', values['link-rate'], 0) } : {}),
          },
        }
      : {}),
    validate: values['no-validate'] !== true,
    ...(values['baseline-dir'] !== undefined ? { baselineDir: resolve(values['baseline-dir']) } : {}),
    runs: int('runs', values.runs, scale ? 1 : 5, 1),
    tools,
    forks: int('forks', values.forks, hosts, 1),
    ...(values['max-sessions'] !== undefined ? { maxSessions: int('max-sessions', values['max-sessions'], 64, 1) } : {}),
    ...(values['lab-info'] !== undefined ? { labInfo: resolve(values['lab-info']) } : {}),
    verify: int('verify', values.verify, 3, 0),
    timeoutS: int('timeout', values.timeout, 1800, 1),
    build: !values['no-build'],
    profile: values.profile === true,
    split: values.split === true,
    runbookDir: resolve(values['runbook-dir'] ?? REPO),
    runbookArgs: (values['runbook-args'] ?? '').split(' ').filter(Boolean),
  };
}

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function sh(cmd: string): string {
  const r = spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' });
  return `${r.stdout ?? ''}`.trim();
}

// ---------------------------------------------------------------- lab

interface LabApi {
  startLab(opts: { name: string; fleet: number; maxSessions?: number }): Promise<LabInfo>;
  stopLab(name: string): Promise<void>;
}

async function loadLabApi(): Promise<LabApi> {
  const path = '../test/support/lab.js';
  try {
    return (await import(path)) as LabApi;
  } catch (e) {
    throw new Error(`the lab API (test/support/lab.ts: startLab/stopLab) is not available: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Where a lab host's sshd writes its log: the lab's layout, then the dev fixture's. */
function sshdLogCandidates(lab: LabInfo): Map<string, string[]> {
  return new Map(
    lab.hosts.map((h) => [
      h.name,
      [
        join(lab.stateDir, 'hosts', h.name, 'sshd.log'),
        join(lab.stateDir, 'fleet', h.name, 'sshd.log'),
        join(lab.stateDir, h.name, 'sshd.log'),
      ],
    ]),
  );
}

/**
 * The lab's sshd logs at INFO, which has no line per session. For the bench's own instance,
 * add `LogLevel VERBOSE` to each host's sshd_config and SIGHUP its sshd (sshd re-executes
 * itself in place: same PID, same namespaces, so the lab still owns and stops it). Waits until
 * every host listens again. Returns the number of hosts changed.
 */
async function enableSessionLog(lab: LabInfo): Promise<number> {
  const listeners = sshdListeners(lab.stateDir);
  const changed: Array<{ log: string; from: number }> = [];
  for (const h of lab.hosts) {
    const dir = join(lab.stateDir, 'hosts', h.name);
    const conf = join(dir, 'sshd_config');
    if (!existsSync(conf)) continue;
    const text = readFileSync(conf, 'utf8');
    if (/^\s*LogLevel\s+(VERBOSE|DEBUG)/im.test(text)) continue;
    const pid = listeners.get(conf);
    if (pid === undefined) throw new Error(`lab host ${h.name}: no listening sshd runs with ${conf}`);
    writeFileSync(conf, `${text.replace(/^\s*LogLevel\s.*$/gim, '')}\n# added by bench/run.ts: one log line per session, to count remote commands\nLogLevel VERBOSE\n`);
    const log = join(dir, 'sshd.log');
    const from = existsSync(log) ? readFileSync(log).length : 0;
    process.kill(pid, 'SIGHUP');
    changed.push({ log, from });
  }
  const deadline = Date.now() + 60_000 + lab.hosts.length * 100;
  while (Date.now() < deadline) {
    const waiting = changed.filter((c) => !readFileSync(c.log).subarray(c.from).toString('utf8').includes('Server listening'));
    if (waiting.length === 0) break;
    await sleep(100);
  }
  return changed.length;
}

/**
 * The listening sshd of each lab host, by its config file, found in /proc (the pid file is
 * not reliable: an sshd that ends unlinks it, and a restarted one writes it only later).
 * Per-connection children run with -R and are skipped.
 */
function sshdListeners(stateDir: string): Map<string, number> {
  const found = new Map<string, number>();
  const prefix = join(stateDir, 'hosts');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue; // gone meanwhile
    }
    // the listener retitles itself `sshd: /usr/sbin/sshd -f CONF ... [listener] ...`
    const m = /^(?:sshd: )?\S*sshd -f (\S+)/.exec(cmd);
    if (!m || / -R( |$)/.test(cmd) || !m[1]?.startsWith(prefix)) continue;
    found.set(m[1], Number(entry));
  }
  return found;
}

// ---------------------------------------------------------------- tools

interface Prepared {
  floorJs: string;
  runbookInventory: string;
  ansibleInventory: string;
  jobDir: string;
  profDir: string;
}

/** The floor runs as plain JavaScript (no TypeScript loader in its measured time). */
async function buildFloor(outDir: string): Promise<string> {
  const { default: tsApi } = await import('typescript');
  mkdirSync(outDir, { recursive: true });
  for (const name of ['floor', 'tasks']) {
    const src = readFileSync(join(BENCH, `${name}.ts`), 'utf8');
    const out = tsApi.transpileModule(src, {
      compilerOptions: { module: tsApi.ModuleKind.ESNext, target: tsApi.ScriptTarget.ES2022 },
    });
    // generated: lint checks the .ts sources (the floor uses node globals plain-JS lint does not know)
    writeFileSync(join(outDir, `${name}.js`), `${name === 'floor' ? '/* eslint-disable */\n' : ''}${out.outputText}`);
  }
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n');
  return join(outDir, 'floor.js');
}

function writeAnsibleInventory(lab: LabInfo, file: string): void {
  const lines = ['all:', '  hosts:'];
  for (const h of lab.hosts) lines.push(`    ${h.name}: {ansible_host: "${h.address}", ansible_port: ${h.port}}`);
  lines.push(
    '  vars:',
    `    ansible_user: ${lab.users.nopasswd.name}`,
    `    ansible_ssh_private_key_file: "${lab.keyFile}"`,
    `    ansible_ssh_common_args: "-o UserKnownHostsFile=${lab.knownHostsFile} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes"`,
  );
  writeFileSync(file, `${lines.join('\n')}\n`);
}

async function ensureAnsible(): Promise<string | undefined> {
  if (sh('command -v ansible-playbook') !== '') return undefined;
  log('ansible-playbook missing: apt-get install ansible-core');
  // the lab's own installer: one lock with any lab installing beside it, dpkg's lock waited for
  const why = await ensurePackages(['ansible-core'], log).then(
    () => undefined,
    (e: unknown) => (e as Error).message,
  );
  return why ?? (sh('command -v ansible-playbook') !== '' ? undefined : 'ansible-core installed, but ansible-playbook is not on PATH');
}

/** Build runbook and check that `apply` exists; a reason when it cannot run. */
function prepareRunbook(build: boolean, dir: string): string | undefined {
  if (build) {
    log(`npm run build${dir === REPO ? '' : ` (in ${dir})`}`);
    const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) log(`npm run build exited ${r.status ?? 'by signal'} (type errors?); using whatever dist/ holds:\n${(r.stdout + r.stderr).split('\n').slice(0, 8).join('\n')}`);
  }
  if (!existsSync(join(dir, 'dist', 'cli', 'main.js'))) return 'dist/cli/main.js missing (npm run build did not produce the CLI)';
  const r = spawnSync('node', [join(dir, 'bin', 'runbook.js'), 'apply', '--help'], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) {
    const why = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? `exit ${String(r.status)}`;
    return `\`runbook apply\` not usable yet: ${why.slice(0, 160)}`;
  }
  return undefined;
}

function shellQuote(words: string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Ansible's ControlPath directory of one invocation (short: unix socket paths are limited). */
function controlDir(root: string, phase: Phase): string {
  return `/tmp/rbb-cp-${process.pid}-${root.split('/').pop() ?? 'x'}-${phase}`;
}

/**
 * runbook's environment in the bench: its run history in a store of the bench's own
 * (bench/results/.store), not the operator's. Every run records itself and the oldest run beyond
 * history_keep (500) is pruned: a bench of a few hundred hosts filled the operator's history with
 * its runs and pushed theirs out. The store is kept from bench to bench, so once it holds 500
 * runs each run pays the pruning an operator's full store would (RUNBOOK_STORE, if set, wins).
 */
function runbookEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { RUNBOOK_STORE: join(BENCH, 'results', '.store', 'runbook.db'), ...process.env, ...extra };
}

function commandFor(tool: ToolName, p: Prepared, opts: Options, root: string, phase: Phase): { argv: string[]; env: NodeJS.ProcessEnv } {
  const node = opts.profile ? ['node', '--cpu-prof', `--cpu-prof-dir=${join(p.profDir, `${tool}-${root.split('/').pop() ?? 'x'}-${phase}`)}`] : ['node'];
  const dir = tool === 'baseline' && opts.baselineDir ? opts.baselineDir : opts.runbookDir;
  const runbook = [...node, join(dir, 'bin', 'runbook.js'), 'apply', 'bench/fleet.yml', '-i', p.runbookInventory, '--forks', String(opts.forks), '-e', `bench_root=${root}`, ...opts.runbookArgs];
  switch (tool) {
    case 'floor':
      return { argv: ['node', p.floorJs, join(p.jobDir, `floor-${root.split('/').pop() ?? 'x'}.json`)], env: process.env };
    case 'floor-ansible':
      return { argv: ['node', p.floorJs, join(p.jobDir, `floor-${root.split('/').pop() ?? 'x'}.json`), 'ansible'], env: process.env };
    case 'floor-lean':
      return { argv: ['node', p.floorJs, join(p.jobDir, `floor-${root.split('/').pop() ?? 'x'}.json`), 'lean'], env: process.env };
    case 'runbook':
    case 'baseline':
      // behind the slow link runbook is told it is one (ssh_preopen=auto: sessions started ahead,
      // src/transport/preopen.ts), as Ansible here runs with pipelining and ControlPersist
      return { argv: [...runbook, '--json'], env: opts.slowLink ? runbookEnv({ RUNBOOK_SSH_PREOPEN: process.env.RUNBOOK_SSH_PREOPEN ?? 'auto' }) : runbookEnv() };
    case 'runbook-tty':
      // a pseudo-terminal of a fixed size, so the terminal view renders its live tree as in a terminal
      return {
        argv: ['script', '-qefc', `stty cols 160 rows 50 2>/dev/null; exec ${shellQuote(runbook)}`, '/dev/null'],
        env: runbookEnv({ SHELL: '/bin/sh', TERM: 'xterm-256color' }),
      };
    case 'ansible': {
      const cp = controlDir(root, phase);
      return {
        argv: ['ansible-playbook', 'bench/ansible/site.yml', '-i', p.ansibleInventory, '-f', String(opts.forks), '-e', `bench_root=${root}`],
        env: { ...process.env, ANSIBLE_CONFIG: join(BENCH, 'ansible', 'ansible.cfg'), ANSIBLE_SSH_CONTROL_PATH_DIR: cp },
      };
    }
  }
}

/** Hosts in runbook's `--json` recap that had no failed or unreachable task. */
function recapHostsOk(stdout: string): number | null {
  const lines = stdout.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const ev = JSON.parse(lines[i] ?? '') as { type?: string; hosts?: Record<string, Partial<Outcome>> };
      if (ev.type !== 'recap' || !ev.hosts) continue;
      return Object.values(ev.hosts).filter((s) => (s.failed ?? 0) === 0 && (s.unreachable ?? 0) === 0).length;
    } catch {
      /* not JSON */
    }
  }
  return null;
}

/** What the tool itself says it did. */
function readOutcome(tool: ToolName, stdout: string): Outcome | null {
  if (tool === 'runbook' || tool === 'baseline') {
    const lines = stdout.trim().split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        const ev = JSON.parse(lines[i] ?? '') as { type?: string; hosts?: Record<string, Partial<Outcome>> };
        if (ev.type !== 'recap' || !ev.hosts) continue;
        const o: Outcome = { ok: 0, changed: 0, failed: 0, unreachable: 0 };
        for (const s of Object.values(ev.hosts)) {
          o.ok += s.ok ?? 0;
          o.changed += s.changed ?? 0;
          o.failed += s.failed ?? 0;
          o.unreachable += s.unreachable ?? 0;
        }
        return o;
      } catch {
        /* not JSON: keep looking */
      }
    }
    return null;
  }
  if (tool === 'ansible') {
    const re = /^\S+\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm;
    const o: Outcome = { ok: 0, changed: 0, failed: 0, unreachable: 0 };
    let seen = false;
    for (const m of stdout.matchAll(re)) {
      seen = true;
      o.ok += Number(m[1]);
      o.changed += Number(m[2]);
      o.unreachable += Number(m[3]);
      o.failed += Number(m[4]);
    }
    return seen ? o : null;
  }
  if (tool === 'floor' || tool === 'floor-lean' || tool === 'floor-ansible') {
    try {
      const s = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { ok: number; failed: number };
      return { ok: s.ok, changed: 0, failed: s.failed, unreachable: 0 };
    } catch {
      return null;
    }
  }
  return null; // the pty renderer's output is for people; its exit code says enough
}

/** The end state every tool must leave in a host's directory (see tasks.verifyCommand). */
function expectedState(host: string): string {
  return (
    '. d 755\n./app.conf f 644\n./motd f 640\n./seed f 644\n' +
    `== motd\nmanaged by the fleet benchmark\n== app.conf\n${renderAppConf(host)}== seed\nalpha\nbeta\ntuned = yes\n`
  );
}

/** Check a sample of hosts' end state over ssh (not measured); a note when something differs. */
function verify(p: Prepared, lab: LabInfo, root: string, sample: number): string | undefined {
  if (sample === 0) return undefined;
  const hosts = lab.hosts.length <= sample ? lab.hosts : [...lab.hosts.slice(0, sample - 1), lab.hosts[lab.hosts.length - 1]!];
  const job = join(p.jobDir, `verify-${root.split('/').pop() ?? 'x'}.json`);
  writeFileSync(job, JSON.stringify({ hosts, user: lab.users.nopasswd.name, keyFile: lab.keyFile, knownHostsFile: lab.knownHostsFile, root }));
  const r = spawnSync('node', [p.floorJs, job, 'verify'], { cwd: REPO, encoding: 'utf8', timeout: 300_000 });
  let got: Record<string, string>;
  try {
    got = JSON.parse(r.stdout) as Record<string, string>;
  } catch {
    return `verify failed: ${r.stderr.trim().split('\n')[0] ?? 'no output'}`;
  }
  const bad: string[] = [];
  for (const h of hosts) {
    const out = got[h.name];
    if (out !== expectedState(h.name)) {
      const want = expectedState(h.name).split('\n');
      const have = (out ?? '(unreachable)').split('\n');
      const i = want.findIndex((l, k) => have[k] !== l);
      bad.push(`${h.name}: line ${i + 1} want ${JSON.stringify(want[i])} got ${JSON.stringify(have[i])}`);
    }
  }
  return bad.length === 0 ? undefined : `end state differs on ${bad.length}/${hosts.length} checked hosts: ${bad[0]}`;
}

// ---------------------------------------------------------------- size and main

interface Shared {
  opts: Options;
  tools: ToolName[];
  unavailable: Partial<Record<ToolName, string>>;
  floorJs: string;
  outDir: string;
  logDir: string;
  hostsRoot: string;
  labApi: () => Promise<LabApi>;
  /** set while a run's process accounting is on (switched off by stop()) */
  procs: { counter?: ProcCounter };
  /** the lab whose slow link is up (ended by stop()) */
  slowLinkLab?: LabInfo;
}

/** One fleet size: lab up, the interleaved rounds, the report section. */
async function benchSize(s: Shared, size: number): Promise<{ text: string; json: unknown; ok: boolean }> {
  const { opts, tools, unavailable, floorJs, outDir, logDir, hostsRoot } = s;
  let lab: LabInfo;
  let started = false;
  // hosts in the lab's own inventory (a running lab may have more than this size measures)
  let inInventory = 0;
  if (opts.labInfo) {
    lab = JSON.parse(readFileSync(opts.labInfo, 'utf8')) as LabInfo;
    log(`using the running lab '${lab.name}' (${lab.hosts.length} hosts) from ${opts.labInfo}`);
    inInventory = lab.hosts.length;
    if (lab.hosts.length > size) lab = { ...lab, hosts: lab.hosts.slice(0, size) };
  } else {
    log(`starting lab '${LAB_NAME}' with ${size} fleet hosts`);
    const t0 = Date.now();
    lab = await (await s.labApi()).startLab({ name: LAB_NAME, fleet: size, ...(opts.maxSessions ? { maxSessions: opts.maxSessions } : {}) });
    started = true;
    log(`lab up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  try {
    lab = { ...lab, hosts: lab.hosts.filter((h) => h.kind !== 'full') };
    if (lab.hosts.length < size) log(`only ${lab.hosts.length} fleet hosts available (asked for ${size})`);
    const tag = `${lab.hosts.length}h`;
    // a running lab larger than the size asked for: runbook gets an inventory of the hosts measured
    // (the lab's own lists them all, and runbook would run on every one)
    let runbookInventory = lab.inventoryFile;
    if (opts.labInfo && lab.hosts.length < inInventory) {
      runbookInventory = join(outDir, `runbook-inventory-${tag}.yml`);
      writeFileSync(runbookInventory, inventoryText(lab, new Map()));
    }
    const p: Prepared = {
      floorJs,
      runbookInventory,
      ansibleInventory: join(outDir, `ansible-inventory-${tag}.yml`),
      jobDir: join(outDir, `jobs-${tag}`),
      profDir: join(outDir, `prof-${tag}`),
    };
    mkdirSync(p.jobDir, { recursive: true });
    writeAnsibleInventory(lab, p.ansibleInventory);

    // ---- remote command counting (sshd's own log on each host), checked with one probe
    let counter: CommandCounter | undefined;
    if (!opts.labInfo) {
      const n = await enableSessionLog(lab);
      if (n > 0) log(`sshd LogLevel VERBOSE on ${n} hosts (to count remote commands)`);
    }
    const logs = existingLogs(sshdLogCandidates(lab));
    if (logs.size === lab.hosts.length) {
      const c = sshdLogCounter(logs);
      const mark = c.mark();
      const first = lab.hosts[0]!;
      const probe = join(p.jobDir, 'probe.json');
      writeFileSync(probe, JSON.stringify({ hosts: [first], user: lab.users.nopasswd.name, keyFile: lab.keyFile, knownHostsFile: lab.knownHostsFile, root: '/nonexistent' }));
      const r = spawnSync('node', [floorJs, probe, 'verify'], { cwd: REPO, timeout: 120_000, encoding: 'utf8' });
      await sleep(200);
      if (c.since(mark).total >= 1) counter = c;
      else if (r.status !== 0) log(`the probe command on ${first.name} failed (${(r.stderr || '').trim().split('\n')[0] ?? ''}): remote commands not counted`);
      else log('sshd logs exist but do not record sessions (LogLevel VERBOSE needed): remote commands not counted');
    } else {
      log(`no sshd log found for ${lab.hosts.length - logs.size} hosts: remote commands not counted`);
    }

    // ---- processes per host (process accounting), by each host's listening sshd
    let procs: ProcCounter | undefined;
    if (opts.procs) {
      const byConf = new Map(lab.hosts.map((h) => [join(lab.stateDir, 'hosts', h.name, 'sshd_config'), h.name]));
      const listeners = (): Map<number, string> => {
        const m = new Map<number, string>();
        for (const [conf, pid] of sshdListeners(lab.stateDir)) {
          const h = byConf.get(conf);
          if (h !== undefined) m.set(pid, h);
        }
        return m;
      };
      const got = startProcCounter(join(outDir, `acct-${tag}`), listeners, lab.hosts.map((h) => h.name));
      if (typeof got === 'string') log(`${got}: processes per host not counted`);
      else {
        procs = got;
        s.procs.counter = got;
        log(`counting processes per host: ${got.method}`);
      }
    }

    // ---- the slow link (issue 18): every host behind the user-space relay, checked in effect
    let linkText = '';
    let linkJson: unknown;
    if (opts.slowLink) {
      const sl = opts.slowLink;
      await startSlowLink(lab, { hosts: lab.hosts.map((h) => h.name), delayMs: sl.delayMs, lossPct: sl.lossPct, ...(sl.rateKbit ? { rateKbit: sl.rateKbit } : {}) });
      s.slowLinkLab = lab;
      const check = await checkSlowLink(lab, lab.hosts[0]!.name, 40);
      linkJson = { check };
      linkText = `link: ${sl.delayMs} ms each way, ${sl.lossPct}% loss each way${sl.rateKbit ? `, ${sl.rateKbit} kbit/s` : ''}; measured on ${check.host}: TCP round trip ${check.rttMs.min.toFixed(1)} / ${check.rttMs.median.toFixed(1)} / ${check.rttMs.max.toFixed(1)} ms (min/median/max of ${check.probes}, ${check.retransmitted} retransmitted); runbook runs with ssh_preopen=${process.env.RUNBOOK_SSH_PREOPEN ?? 'auto'} (sessions started ahead), Ansible with pipelining and ControlPersist`;
      log(linkText);
    }
    const context: Context = { hosts: lab.hosts.length, tasks: TASKS, unavailable, ...(opts.slowLink ? { slowLink: `a ${opts.slowLink.delayMs * 2} ms round trip with ${opts.slowLink.lossPct}% loss` } : {}) };
    const records: RunRecord[] = [];
    const N = lab.hosts.length;
    try {
      for (let k = 1; k <= opts.runs; k++) {
        for (const tool of tools) {
          const root = `${hostsRoot}/${tag}/${tool}-r${k}`;
          // 1777 like /tmp: the lab user creates its host directory here (shared filesystem);
          // on hosts with their own filesystem the first task creates the whole path
          mkdirSync(root, { recursive: true });
          for (let d = root; d !== '/tmp'; d = dirname(d)) chmodSync(d, 0o1777);
          writeFileSync(join(p.jobDir, `floor-${root.split('/').pop() ?? 'x'}.json`), JSON.stringify({ hosts: lab.hosts, user: lab.users.nopasswd.name, keyFile: lab.keyFile, knownHostsFile: lab.knownHostsFile, root }));
          for (const phase of ['first', 'second'] as Phase[]) {
            const { argv: cmd, env } = commandFor(tool, p, opts, root, phase);
            const base = join(logDir, `${tag}-${tool}-r${k}-${phase}`);
            const mark = counter?.mark();
            const pmark = procs?.mark();
            const load = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
            const m = await measure(cmd, { cwd: REPO, env, stdoutFile: `${base}.out`, stderrFile: `${base}.err`, timeoutMs: opts.timeoutS * 1000 });
            rmSync(controlDir(root, phase), { recursive: true, force: true });
            await sleep(300); // let sshd finish writing its log lines (and its processes exit)
            const commands = counter && mark ? counter.since(mark) : null;
            const procCount = procs && pmark !== undefined ? procs.since(pmark) : null;
            const stdout = readFileSync(`${base}.out`, 'utf8');
            const outcome = readOutcome(tool, stdout);
            const hostsOk = tool === 'runbook' || tool === 'baseline' ? recapHostsOk(stdout) : null;
            let ok = m.exitCode === 0 && (outcome === null || (outcome.failed === 0 && outcome.unreachable === 0)) && (hostsOk === null || hostsOk === N);
            let note: string | undefined;
            if (!ok) {
              const err = readFileSync(`${base}.err`, 'utf8').split('\n').filter((l) => l.trim() !== '' && !/^\d+\.\d+ /.test(l));
              note = `exit ${m.exitCode}${outcome ? `, failed ${outcome.failed}, unreachable ${outcome.unreachable}` : ''}${hostsOk !== null && hostsOk !== N ? `, ${hostsOk}/${N} hosts ok` : ''}${err[0] ? `: ${err[0].slice(0, 140)}` : ''}`;
            }
            if (phase === 'second' && k === 1 && ok) {
              const v = verify(p, lab, root, opts.verify);
              if (v) {
                ok = false;
                note = v;
              }
            }
            records.push({ tool, phase, run: k, measurement: m, commands, procs: procCount, outcome, hostsOk, ok, load, ...(note ? { note } : {}) });
            const cpu = m.cpuUserMs + m.cpuSysMs;
            const hostsMs = hostsCpuMs(m);
            log(
              `${tag} ${tool} round ${k}/${opts.runs} ${phase} (load ${load.toFixed(1)}): ${(m.wallMs / 1000).toFixed(2)} s wall, ${(cpu / 1000).toFixed(2)} s CPU` +
                `${hostsMs !== undefined ? ` (the hosts' ${(hostsMs / 1000).toFixed(2)} s)` : ''}` +
                ` (${(cpu / (N * floorCommands('/x', 'h').length)).toFixed(3)} ms/task·host), ` +
                `${(m.maxRssKiB / 1024).toFixed(0)} MiB max RSS, cmds/host ${commands ? `${commands.median} (max ${commands.max})` : 'n/a'}` +
                `${procCount ? `, procs/host ${procCount.median} (max ${procCount.max})` : ''}` +
                `${outcome ? `, changed ${outcome.changed}` : ''}${ok ? '' : ` — FAILED: ${note ?? ''}`}`,
            );
            rmSync(root, { recursive: true, force: true, maxRetries: 0 });
            await sleep(700);
          }
          rmSync(root, { recursive: true, force: true });
        }
      }
    } finally {
      procs?.stop();
      s.procs.counter = undefined;
      if (opts.slowLink) {
        const st = slowLinkStats(lab);
        if (st) {
          const pk = st.up.packets + st.down.packets;
          const dr = st.up.dropped + st.down.dropped;
          linkText += `; over the whole bench the relay carried ${pk} packets and dropped ${dr} (${pk ? ((dr / pk) * 100).toFixed(2) : '0'}%)`;
          linkJson = { ...(linkJson as object), relay: st };
        }
        await stopSlowLink(lab).catch((e: unknown) => log(`stopSlowLink failed: ${(e as Error).message}`));
        s.slowLinkLab = undefined;
      }
    }

    let split: SplitResult | undefined;
    if (opts.split) {
      split = await runSplit({
        lab,
        floorJs,
        inventory: p.runbookInventory,
        runbook: ['node', join(opts.runbookDir, 'bin', 'runbook.js')],
        runbookArgs: opts.runbookArgs,
        env: runbookEnv(),
        forks: opts.forks,
        runs: opts.runs,
        timeoutMs: opts.timeoutS * 1000,
        dir: join(p.jobDir, 'split'),
        hostsRoot: `${hostsRoot}/${tag}`,
        repo: REPO,
        log,
      });
    }

    const rows = summarise(records, N * floorCommands('/x', 'h').length);
    const loads = records.map((r) => r.load ?? 0).sort((a, b) => a - b);
    const loadText = loads.length ? `load average at run starts ${loads[0]?.toFixed(1)}–${loads[loads.length - 1]?.toFixed(1)}` : '';
    const slowRatio = (phase: Phase): string => {
      const rb = rows.find((r) => r.tool === 'runbook' && r.phase === phase && r.okRuns > 0);
      const fl = rows.find((r) => r.tool === 'floor' && r.phase === phase && r.okRuns > 0);
      if (!rb || !fl || !opts.slowLink) return 'n/a';
      return ((rb.wallS - fl.wallS) / (TASKS * (opts.slowLink.delayMs * 2) / 1000)).toFixed(2);
    };
    const text = [
      `## Fleet benchmark: ${N} hosts × ${TASKS} tasks, ${opts.runs} interleaved rounds (medians, [min–max])${opts.slowLink ? ' behind an emulated slow link' : ''}`,
      '',
      loadText,
      ...(linkText ? ['', linkText, '', `runbook's wall time over the floor's, in round trips per task: first run ${slowRatio('first')}, second run ${slowRatio('second')} (median wall difference / (tasks × RTT))`] : []),
      '',
      table(rows, context),
      '',
      'Ratios (medians):',
      ratios(rows),
      '',
      'Processes started on the hosts beyond the floor (per host, by command name):',
      extraProcesses(rows),
      '',
      'Targets:',
      targets(rows, context),
      ...(split ? ['', splitText(split)] : []),
    ].join('\n');
    return { text, json: { hosts: N, rows, records, ...(linkJson ? { slowLink: linkJson } : {}), ...(split ? { split } : {}) }, ok: records.every((r) => r.ok) && (split?.ok ?? true) };
  } finally {
    if (started) {
      log(`stopping lab '${LAB_NAME}'`);
      await (await s.labApi()).stopLab(LAB_NAME).catch((e: unknown) => log(`stopLab failed: ${(e as Error).message}`));
    }
  }
}


async function main(argv: string[]): Promise<number> {
  let opts: Options | undefined;
  try {
    opts = parseOptions(argv);
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (!opts) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    process.stderr.write('bench: the lab needs Linux and root (network namespaces, sshd per host)\n');
    return 1;
  }
  // one bench at a time: a second one would tear down the first one's lab (same instance
  // name) and both would measure each other's load
  const lockFile = '/tmp/runbook-bench.lock';
  try {
    const other = Number(readFileSync(lockFile, 'utf8').trim());
    if (other > 0 && other !== process.pid && readFileSync(`/proc/${other}/cmdline`, 'utf8').includes('bench/run.ts')) {
      process.stderr.write(`bench: another benchmark is running (pid ${other}); wait for it to finish\n`);
      return 1;
    }
  } catch {
    // no lock, or its owner is gone
  }
  writeFileSync(lockFile, `${process.pid}\n`);
  // the commit measured is the one built now (HEAD may move while the bench runs)
  const measuredCommit = sh(`git -C '${opts.runbookDir}' rev-parse --short HEAD 2>/dev/null`) + (sh(`git -C '${opts.runbookDir}' status --porcelain -- src bench`) ? ' (+ uncommitted changes)' : '');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const outDir = join(BENCH, 'results', `${stamp}-${opts.sizes.join('+')}h`);
  const logDir = join(outDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const hostsRoot = `/tmp/runbook-bench/${stamp}`;

  const unavailable: Partial<Record<ToolName, string>> = {};
  if (opts.tools.includes('ansible')) {
    const why = await ensureAnsible();
    if (why) unavailable.ansible = why;
  }
  if (opts.tools.includes('runbook') || opts.tools.includes('runbook-tty')) {
    const why = prepareRunbook(opts.build, opts.runbookDir);
    if (why) {
      if (opts.tools.includes('runbook')) unavailable.runbook = why;
      if (opts.tools.includes('runbook-tty')) unavailable['runbook-tty'] = why;
    }
  }
  if (opts.tools.includes('baseline') && opts.baselineDir) {
    const why = prepareRunbook(opts.build, opts.baselineDir);
    if (why) unavailable.baseline = why;
  }
  if (opts.tools.includes('runbook-tty') && sh('command -v script') === '') unavailable['runbook-tty'] = '`script` (util-linux) not installed';
  const tools = opts.tools.filter((t) => !unavailable[t]);
  for (const [t, why] of Object.entries(unavailable)) log(`${t}: not available: ${why}`);

  // inside the repository so `import 'ssh2'` resolves; results/ is gitignored
  const floorJs = await buildFloor(join(BENCH, 'results', '.build'));

  let labApi: LabApi | undefined;
  const shared: Shared = {
    opts,
    tools,
    unavailable,
    floorJs,
    outDir,
    logDir,
    hostsRoot,
    labApi: async () => (labApi ??= await loadLabApi()),
    procs: {},
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      killActive();
      shared.procs.counter?.stop();
      if (shared.slowLinkLab) await stopSlowLink(shared.slowLinkLab).catch(() => undefined);
      rmSync(lockFile, { force: true });
      rmSync(hostsRoot, { recursive: true, force: true });
      if (labApi && !opts.labInfo) {
        log(`stopping lab '${LAB_NAME}'`);
        await labApi.stopLab(LAB_NAME).catch((e: unknown) => log(`stopLab failed: ${(e as Error).message}`));
      }
    })();
    return stopping;
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: ending the running tool and stopping the lab`);
    void stop().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const sections: string[] = [];
    const sizes: unknown[] = [];
    let ok = true;
    for (const size of opts.sizes) {
      const r = await benchSize(shared, size);
      sections.push(r.text);
      sizes.push(r.json);
      ok &&= r.ok;
    }
    let validate: ReturnType<typeof timeValidate> | undefined;
    if (opts.validate && !unavailable.runbook) {
      validate = timeValidate(opts.runbookDir, 7);
      for (const line of validateLines(validate, 7)) log(line);
    }
    const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${sh('uname -sr')}`;
    const versions = {
      node: process.version,
      ansible: opts.tools.includes('ansible') ? sh('ansible-playbook --version 2>/dev/null | head -1') : 'not run',
      openssh: sh('ssh -V 2>&1'),
      runbookCommit: opts.runbookDir === REPO ? measuredCommit : `${opts.runbookDir} ${measuredCommit}`,
      ...(opts.baselineDir ? { baseline: opts.baselineDir } : {}),
    };
    const text = [
      `# Fleet benchmark`,
      '',
      `${new Date().toISOString()} · ${machine} · node ${versions.node} · ${versions.openssh} · runbook ${versions.runbookCommit}${opts.runbookArgs.length ? ` (${opts.runbookArgs.join(' ')})` : ''}${opts.baselineDir ? ` · baseline ${opts.baselineDir}` : ''} · forks ${opts.forks === opts.hosts ? '= hosts' : opts.forks}`,
      '',
      ...sections.flatMap((t) => [t, '']),
      ...(validate ? validateLines(validate, 7) : ['']),
      '',
      'CPU time and tree peak: the tool\'s cgroup (its whole process tree). CPU per task·host = that CPU (startup included) / (hosts × tasks), the floor\'s remote commands: runbook runs a host\'s commands in one SSH session (transport/mux.ts), so sshd\'s session count (remote cmds/host) no longer counts its commands. ' +
        'Max RSS: /usr/bin/time %M, the largest single process. Remote commands: sshd VERBOSE "Starting session" lines. Processes: BSD process accounting, descendants of each host\'s sshd (its per-connection sshd processes included). ' +
        'Wall time on a shared machine depends on its load (see the load averages); CPU, commands and processes do not, or much less.',
    ].join('\n');
    writeFileSync(join(outDir, 'results.md'), `${text}\n`);
    writeFileSync(join(outDir, 'results.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, versions, options: opts, tasks: TASKS, unavailable, sizes, validate }, null, 1)}\n`);
    process.stdout.write(`\n${text}\n\nresults: ${outDir}/results.{md,json}\n`);
    return ok && (validate?.every((v) => v.ok) ?? true) ? 0 : 2;
  } catch (e) {
    log(`error: ${(e as Error).message}`);
    return 1;
  } finally {
    await stop();
  }
}

process.exitCode = await main(process.argv.slice(2));
