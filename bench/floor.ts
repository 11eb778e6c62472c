// The floor: the physical lower bound for the fleet benchmark's work. Raw ssh2, one connection
// per host, all hosts at once, the ten tasks as one plain shell command each, run one after the
// other on each host. No playbook, no parsing, no templating, no reporting beyond one summary
// line. Host keys are still checked against the lab's known_hosts (skipping that would make the
// floor cheaper than anything a careful operator would run).
//
//   node floor.js JOB.json [verify|ansible|lean]
//
// JOB.json: { hosts: [{name,address,port}], user, keyFile, knownHostsFile, root, commands? }
// (`commands`: run only the first that many of the ten, for the bench's --split)
// With `ansible`, each task's command does what Ansible's module semantics need on the host
// (tasks.ts's ansibleFloorCommands): the floor with Ansible's semantics.
// With `lean`, ssh2 is handled as runbook handles it, with runbook's own code: the key decoded
// once and signing from a KeyObject (transport/private-keys.ts), the host keys sshd announces
// acknowledged, not proved (transport/host-key-announcements.ts). Raw ssh2 does both on every
// connection: about a seventh of the floor's CPU at 200 hosts (bench/README.md, session 15).
// With `verify`, it runs tasks.ts's verifyCommand once per host instead and prints
// {"host": output} as JSON (used by the harness, never measured).
import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';
import type * as HostKeyAnnouncements from '../src/transport/host-key-announcements.js';
import type * as PrivateKeys from '../src/transport/private-keys.js';
import { ansibleFloorCommands, floorCommands, verifyCommand } from './tasks.js';

/** runbook's ssh2 handling, from its build (dist/), for `lean`; floor.js runs from bench/results/.build */
interface Lean {
  key: PrivateKeys.LoadedKey;
  ignoreHostKeyAnnouncements: typeof HostKeyAnnouncements.ignoreHostKeyAnnouncements;
}

async function loadLean(keyFile: string): Promise<Lean> {
  const dist = new URL('../../../dist/transport/', import.meta.url);
  const keys = (await import(new URL('private-keys.js', dist).href)) as typeof PrivateKeys;
  const announcements = (await import(new URL('host-key-announcements.js', dist).href)) as typeof HostKeyAnnouncements;
  return { key: await keys.loadPrivateKey(keyFile, undefined), ignoreHostKeyAnnouncements: announcements.ignoreHostKeyAnnouncements };
}

interface FloorHost {
  name: string;
  address: string;
  port: number;
}

interface FloorJob {
  hosts: FloorHost[];
  user: string;
  keyFile: string;
  knownHostsFile: string;
  root: string;
  /** the first `commands` of the ten only (bench --split: connection and start-up apart) */
  commands?: number;
}

/** known_hosts entries by the name ssh looks up: `addr` for port 22, `[addr]:port` otherwise. */
function readKnownHosts(file: string): Map<string, Buffer[]> {
  const byName = new Map<string, Buffer[]>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith('@')) continue;
    const [names, , b64] = t.split(/\s+/);
    if (names === undefined || b64 === undefined) continue;
    const blob = Buffer.from(b64, 'base64');
    for (const n of names.split(',')) {
      const list = byName.get(n) ?? [];
      list.push(blob);
      byName.set(n, list);
    }
  }
  return byName;
}

function knownName(h: FloorHost): string {
  return h.port === 22 ? h.address : `[${h.address}]:${h.port}`;
}

function exec(conn: Client, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    conn.exec(command, (err, stream) => {
      if (err) return reject(err);
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let code: number | null = null;
      stream.on('data', (d: Buffer) => out.push(d));
      stream.stderr.on('data', (d: Buffer) => errOut.push(d));
      stream.on('exit', (c: number | null) => {
        code = c;
      });
      stream.on('close', () => {
        if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
        else reject(new Error(`exit ${String(code)}: ${command}: ${Buffer.concat(errOut).toString('utf8').trim()}`));
      });
    });
  });
}

function connect(h: FloorHost, job: FloorJob, key: Buffer, known: Map<string, Buffer[]>, lean: Lean | undefined): Promise<Client> {
  const allowed = known.get(knownName(h)) ?? known.get(h.name) ?? [];
  return new Promise((resolve, reject) => {
    const conn = new Client();
    conn.on('ready', () => {
      // as runbook does: without TCP_NODELAY every command after the first on a connection
      // waits ~40 ms for a delayed ACK, which is not part of any physical floor
      conn.setNoDelay(true);
      resolve(conn);
    });
    conn.on('error', reject);
    conn.connect({
      host: h.address,
      port: h.port,
      username: job.user,
      ...(lean ? { authHandler: (_methods, _partial, next) => next({ type: 'publickey', username: job.user, key: lean.key }) } : { privateKey: key }),
      // logins are CPU-bound on the hosts' side (~15/s on 2 cores): at 1000 hosts the last one
      // waits about a minute, which is slow, not unreachable
      readyTimeout: 300_000,
      hostVerifier: (blob: Buffer) => allowed.some((k) => k.equals(blob)),
    });
    lean?.ignoreHostKeyAnnouncements(conn);
  });
}

async function runHost(h: FloorHost, job: FloorJob, key: Buffer, known: Map<string, Buffer[]>, commands: string[], lean: Lean | undefined): Promise<string[]> {
  const conn = await connect(h, job, key, known, lean);
  try {
    const outputs: string[] = [];
    for (const c of commands) outputs.push(await exec(conn, c));
    return outputs;
  } finally {
    conn.end();
  }
}

async function main(argv: string[]): Promise<number> {
  const [jobFile, mode] = argv;
  if (jobFile === undefined) {
    process.stderr.write('usage: floor JOB.json [verify|ansible|lean]\n');
    return 1;
  }
  const job = JSON.parse(readFileSync(jobFile, 'utf8')) as FloorJob;
  const key = readFileSync(job.keyFile);
  const known = readKnownHosts(job.knownHostsFile);
  const verify = mode === 'verify';
  const lean = mode === 'lean' ? await loadLean(job.keyFile) : undefined;
  const started = Date.now();
  const results = await Promise.allSettled(
    job.hosts.map((h) =>
      runHost(h, job, key, known, verify ? [verifyCommand(job.root, h.name)] : (mode === 'ansible' ? ansibleFloorCommands(job.root, h.name) : floorCommands(job.root, h.name)).slice(0, job.commands), lean),
    ),
  );
  const failures: string[] = [];
  const outputs: Record<string, string> = {};
  results.forEach((r, i) => {
    const name = job.hosts[i]?.name ?? String(i);
    if (r.status === 'rejected') failures.push(`${name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
    else outputs[name] = r.value.join('');
  });
  if (verify) process.stdout.write(`${JSON.stringify(outputs)}\n`);
  else {
    const summary = { hosts: job.hosts.length, ok: job.hosts.length - failures.length, failed: failures.length, ms: Date.now() - started };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  }
  for (const f of failures.slice(0, 10)) process.stderr.write(`floor: ${f}\n`);
  return failures.length === 0 ? 0 : 2;
}

process.exitCode = await main(process.argv.slice(2));
