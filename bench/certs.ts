// `npm run bench:certs`: `runbook certs` on N lab fleet hosts (default 200; target < 10 s wall,
// < 100 MiB). Fleet hosts share this machine's filesystem (all but /tmp, which is private to
// each host: the work directory is under /var/tmp), so each reads the same certbot
// directory: one made here (two lineages, a renewal conf each, a certbot log with three runs)
// and named by the inventory variable certbot_config_dir, so every host does the full read and
// parse. The TLS handshake per name goes to each host's port 443, where nothing listens (refused
// at once): the cost measured is the SSH round trip, the parse, the conditions and the store.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { labDown, labUp, releaseInstance, claimInstance } from '../src/lab/index.js';
import { measure } from './measure.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LAB = 'ce-bench';

function certbotDir(root: string): string {
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
      `version = 2.1.0\narchive_dir = ${archive}\ncert = ${live}/cert.pem\nprivkey = ${live}/privkey.pem\nchain = ${live}/chain.pem\nfullchain = ${live}/fullchain.pem\n\n[renewalparams]\naccount = 0123456789abcdef\nauthenticator = webroot\ninstaller = apache\nserver = https://acme-v02.api.letsencrypt.org/directory\nkey_type = ecdsa\n`,
    );
  }
  return d;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { hosts: { type: 'string' }, forks: { type: 'string' }, 'no-build': { type: 'boolean' }, offline: { type: 'boolean' }, profile: { type: 'string' } } });
  const hosts = Number(values.hosts ?? 200);
  const work = mkdtempSync(join('/var/tmp', 'runbook-bench-certs-'));
  // the lab's login user reads the certificates: the directory must be traversable
  chmodSync(work, 0o755);
  const dir = certbotDir(work);
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
    const node = values.profile ? [process.execPath, '--cpu-prof', '--cpu-prof-dir', resolve(values.profile)] : [process.execPath];
    const m = await measure([...node, join(REPO, 'bin/runbook.js'), 'certs', '-i', inventory, '--json', '--forks', values.forks ?? '50', '--store', join(work, 'runbook.db'), ...(values.offline ? ['--offline'] : [])], {
      cwd: REPO,
      stdoutFile: out,
      stderrFile: join(work, 'certs.err'),
      timeoutMs: 300_000,
    });
    const report = JSON.parse(readFileSync(out, 'utf8')) as { summary: { hosts: number; reachable: number; lineages: number }; exitCode: number; hosts: Array<{ durationMs?: number }> };
    const durations = report.hosts.map((h) => h.durationMs ?? 0).sort((a, b) => a - b);
    const peakMiB = (m.treePeakBytes ?? m.maxRssKiB * 1024) / 1024 / 1024;
    const line = {
      hosts,
      reachable: report.summary.reachable,
      certificates: report.summary.lineages,
      wallS: Number((m.wallMs / 1000).toFixed(2)),
      cpuS: Number(((m.cpuUserMs + m.cpuSysMs) / 1000).toFixed(2)),
      maxRssMiB: Number((m.maxRssKiB / 1024).toFixed(1)),
      treePeakMiB: m.treePeakBytes !== undefined ? Number((m.treePeakBytes / 1024 / 1024).toFixed(1)) : undefined,
      exitCode: m.exitCode,
      hostMs: { median: durations[Math.floor(durations.length / 2)] ?? 0, max: durations[durations.length - 1] ?? 0 },
      targets: { wallUnder10s: m.wallMs < 10_000, memoryUnder100MiB: peakMiB < 100 },
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    if (report.summary.reachable !== hosts || report.summary.lineages !== hosts * 2) process.stderr.write(`not every host was read: ${JSON.stringify(report.summary)}\n`);
  } finally {
    await labDown({ name: LAB });
    releaseInstance({ name: LAB });
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
