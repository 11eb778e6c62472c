// `npm run bench:certs`: `runbook certs` on N lab fleet hosts (default 200; target < 10 s wall,
// runbook's max RSS < 100 MiB). Fleet hosts share this machine's filesystem (all but /tmp, which
// is private to each host: the work directory is under /var/tmp), so each reads the same
// certbot directory: one made here (two lineages, a renewal conf each) and named by the
// inventory variable certbot_config_dir, so every host does the full read and parse. The TLS
// handshake per name goes to each host's port 443, where nothing listens (refused at once). The
// renewal confs name an ACME server served here on 127.0.0.1 (a directory that offers ARI and a
// renewalInfo answer per certificate), so the ARI requests are measured too and nothing leaves
// the machine. The cost measured: the SSH round trip, the host script, the parse, ARI, the
// conditions and the store.
//
//   --procs       after the timed run, a second run with BSD process accounting on (bench/procs.ts):
//                 processes each host started for the report (sshd's, the login shell, sudo, the
//                 script's). acct(2) is machine-wide: skipped while `npm run bench` runs.
//   --node FLAG   a node flag for the measured process (repeatable), e.g. --node=--heap-prof
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { labDown, labUp, releaseInstance, claimInstance } from '../src/lab/index.js';
import { fleetHostDir } from '../src/lab/fleet.js';
import { measure } from './measure.js';
import { startProcCounter } from './procs.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LAB = 'ce-bench';

function certbotDir(root: string, server: string): string {
  const d = join(root, 'letsencrypt');
  for (const name of ['node.example.org', 'hub.example.org']) {
    const live = join(d, 'live', name);
    const archive = join(d, 'archive', name);
    mkdirSync(live, { recursive: true });
    mkdirSync(archive, { recursive: true });
    mkdirSync(join(d, 'renewal'), { recursive: true });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(archive, 'privkey1.pem'), '-out', join(archive, 'cert1.pem'), '-days', '90', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name},DNS:www.${name}`], { stdio: 'ignore' });
    writeFileSync(join(archive, 'chain1.pem'), readFileSync(join(archive, 'cert1.pem')));
    writeFileSync(join(archive, 'fullchain1.pem'), readFileSync(join(archive, 'cert1.pem')));
    for (const k of ['cert', 'privkey', 'chain', 'fullchain']) execFileSync('ln', ['-sf', `../../archive/${name}/${k}1.pem`, join(live, `${k}.pem`)]);
    writeFileSync(
      join(d, 'renewal', `${name}.conf`),
      `version = 2.1.0\narchive_dir = ${archive}\ncert = ${live}/cert.pem\nprivkey = ${live}/privkey.pem\nchain = ${live}/chain.pem\nfullchain = ${live}/fullchain.pem\n\n[renewalparams]\naccount = 0123456789abcdef\nauthenticator = webroot\ninstaller = apache\nserver = ${server}\nkey_type = ecdsa\n`,
    );
  }
  return d;
}

/** A local ACME server as far as ARI goes (RFC 9773): a directory with renewalInfo, and a window per certificate. */
async function ariServer(root: string): Promise<{ url: string; caFile: string; requests: () => number; close: () => void }> {
  const key = join(root, 'ari-key.pem');
  const caFile = join(root, 'ari-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', caFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  let requests = 0;
  const server = createServer({ key: readFileSync(key), cert: readFileSync(caFile) }, (req, res) => {
    requests++;
    const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/directory') res.end(JSON.stringify({ newNonce: `${base}/nonce`, renewalInfo: `${base}/renewal-info` }));
    else if (req.url?.startsWith('/renewal-info/')) {
      const day = 86_400_000;
      res.setHeader('retry-after', '21600');
      res.end(JSON.stringify({ suggestedWindow: { start: new Date(Date.now() + 50 * day).toISOString(), end: new Date(Date.now() + 52 * day).toISOString() } }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/directory`, caFile, requests: () => requests, close: () => server.close() };
}

/** Another benchmark that counts processes (acct(2) is one per machine): do not take it from it. */
function otherAccounting(): string | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (/bench\/run\.ts/.test(cmd) && !/--no-procs/.test(cmd)) return `pid ${entry}: ${cmd.slice(0, 80)}`;
  }
  return undefined;
}

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { hosts: { type: 'string' }, forks: { type: 'string' }, 'no-build': { type: 'boolean' }, offline: { type: 'boolean' }, profile: { type: 'string' }, procs: { type: 'boolean' }, node: { type: 'string', multiple: true } },
  });
  const hosts = Number(values.hosts ?? 200);
  const work = mkdtempSync(join('/var/tmp', 'runbook-bench-certs-'));
  // the lab's login user reads the certificates: the directory must be traversable
  chmodSync(work, 0o755);
  const ari = await ariServer(work);
  const dir = certbotDir(work, ari.url);
  if (!values['no-build']) execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
  await claimInstance({ name: LAB });
  await labDown({ name: LAB });
  const t0 = Date.now();
  const lab = await labUp({ name: LAB, fleet: hosts, full: [], acme: false, maxSessions: 20 });
  process.stderr.write(`lab: ${hosts} fleet hosts up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  try {
    const inv: Record<string, unknown> = {};
    for (const h of lab.hosts) inv[h.name] = { ansible_host: h.address, ansible_port: h.port };
    const inventory = join(work, 'inventory.yml');
    writeFileSync(
      inventory,
      stringify({ all: { vars: { ansible_user: lab.users.nopasswd.name, ansible_ssh_private_key_file: lab.keyFile, runbook_known_hosts_file: lab.knownHostsFile, certbot_config_dir: dir }, hosts: inv } }),
    );
    const out = join(work, 'certs.json');
    const node = [process.execPath, ...(values.node ?? []), ...(values.profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(values.profile)] : [])];
    const argv = [...node, join(REPO, 'bin/runbook.js'), 'certs', '-i', inventory, '--json', '--forks', values.forks ?? '50', '--store', join(work, 'runbook.db'), '--ca-bundle', ari.caFile, ...(values.offline ? ['--offline'] : [])];
    const loadBefore = load();
    const m = await measure(argv, { cwd: REPO, stdoutFile: out, stderrFile: join(work, 'certs.err'), timeoutMs: 300_000 });
    const loadAfter = load();
    const err = readFileSync(join(work, 'certs.err'), 'utf8').trim();
    if (err) process.stderr.write(`runbook certs stderr:\n${err.slice(0, 2000)}\n`);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { summary: { hosts: number; reachable: number; lineages: number }; exitCode: number; hosts: Array<{ durationMs?: number; lineages: Array<{ ari: { status: string } }> }> };
    const durations = report.hosts.map((h) => h.durationMs ?? 0).sort((a, b) => a - b);
    const maxRssMiB = m.maxRssKiB / 1024;
    const line: Record<string, unknown> = {
      hosts,
      reachable: report.summary.reachable,
      certificates: report.summary.lineages,
      ariOffered: report.hosts.flatMap((h) => h.lineages).filter((l) => l.ari.status === 'offered').length,
      ariRequests: ari.requests(),
      wallS: Number((m.wallMs / 1000).toFixed(2)),
      cpuS: Number(((m.cpuUserMs + m.cpuSysMs) / 1000).toFixed(2)),
      maxRssMiB: Number(maxRssMiB.toFixed(1)),
      treePeakMiB: m.treePeakBytes !== undefined ? Number((m.treePeakBytes / 1024 / 1024).toFixed(1)) : undefined,
      exitCode: m.exitCode,
      hostMs: { median: durations[Math.floor(durations.length / 2)] ?? 0, max: durations[durations.length - 1] ?? 0 },
      load: { before: loadBefore, after: loadAfter },
      targets: { wallUnder10s: m.wallMs < 10_000, maxRssUnder100MiB: maxRssMiB < 100 },
    };
    if (values.procs) {
      const other = otherAccounting();
      if (other) line.procs = `not counted: another benchmark counts processes (${other})`;
      else {
        // each host's listening sshd (its pid file: nothing restarts them here)
        const listeners = new Map<number, string>();
        for (const h of lab.hosts) {
          const f = join(fleetHostDir(lab.stateDir, h.name), 'sshd.pid');
          if (existsSync(f)) listeners.set(Number(readFileSync(f, 'utf8').trim()), h.name);
        }
        const counter = startProcCounter(join(work, 'acct'), () => listeners, lab.hosts.map((h) => h.name));
        if (typeof counter === 'string') line.procs = counter;
        else {
          try {
            const mark = counter.mark();
            await measure(argv, { cwd: REPO, stdoutFile: join(work, 'certs2.json'), stderrFile: join(work, 'certs2.err'), timeoutMs: 300_000 });
            // records are written as processes exit: the hosts' session processes end just after the client
            await sleep(1000);
            line.procsPerHost = counter.since(mark);
          } finally {
            counter.stop();
          }
        }
      }
    }
    process.stdout.write(`${JSON.stringify(line)}\n`);
    if (report.summary.reachable !== hosts || report.summary.lineages !== hosts * 2) process.stderr.write(`not every host was read: ${JSON.stringify(report.summary)}\n`);
  } finally {
    await labDown({ name: LAB });
    releaseInstance({ name: LAB });
    ari.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
