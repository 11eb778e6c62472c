// Shared by the playbook end-to-end tests: an inventory for lab hosts, the runbook CLI run as a
// user would run it (`node bin/runbook.js apply ... --json`), checks from outside the host
// (curl from the root namespace, only over the lab bridge), and a snapshot of the host's
// state to prove a failed run left it as it was.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { RecapEvent, RunEvent, TaskResultEvent } from '../../src/report/events.js';
import { afterAll, beforeAll } from 'vitest';
import { labExec, startLab, stopLab, type LabInfo, type StartLabOptions } from '../support/lab.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  events: RunEvent[];
  recap?: RecapEvent;
  durationMs: number;
  /** where this run was told to write failed and unreachable hosts */
  retryFile: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 900_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      done({ code, stdout, stderr });
    });
  });
}

export interface HostEntry {
  name: string;
  /** lab user: deploy (passwordless sudo) or ops (sudo password) */
  user: string;
  /** override the domain (broken cases) */
  domain?: string;
  /** a host the lab does not have: its address (and the hub it would sit behind) */
  address?: string;
  behind?: string;
  vars?: Record<string, unknown>;
}

/** An Ansible-YAML inventory for some lab full hosts, with the lab's ACME variables. */
export function writeInventory(lab: LabInfo, hosts: HostEntry[], vars: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-e2e-'));
  const entries: Record<string, unknown> = {};
  for (const h of hosts) {
    // `address` (+ `behind`): a host the lab does not have, e.g. a dead node on a hub's site
    const info = lab.hosts.find((x) => x.name === h.name) ?? (h.address ? { address: h.address, port: 22, behind: h.behind, domain: h.domain } : undefined);
    if (!info) throw new Error(`no lab host ${h.name}`);
    // a host on a site behind its hub: SSH through the hub, as the example fleet inventory shows
    const hub = info.behind ? lab.sites?.find((s) => s.hub === info.behind) : undefined;
    const jump = hub ? { ansible_ssh_common_args: `-o ProxyJump=deploy@${hub.hubAddress}:22` } : {};
    entries[h.name] = { ansible_host: info.address, ansible_port: info.port, ansible_user: h.user, domain: h.domain ?? info.domain, ...jump, ...h.vars };
  }
  const doc = {
    all: {
      vars: {
        ansible_ssh_private_key_file: lab.keyFile,
        runbook_known_hosts_file: lab.knownHostsFile,
        email: 'noc@example.org',
        ...(lab.acme ? { acme_server: lab.acme.directoryUrl, acme_ca_bundle: lab.acme.caBundleOnHost, preflight_resolver: lab.acme.resolver } : {}),
        ...vars,
      },
      hosts: entries,
    },
  };
  const file = join(dir, 'inventory.yml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** Node arguments that start the CLI: bin/runbook.js (after `npm run build`), or RUNBOOK_E2E_BIN (e.g. from sources). */
export function cliBin(): string[] {
  return process.env.RUNBOOK_E2E_BIN ? process.env.RUNBOOK_E2E_BIN.split(' ') : ['bin/runbook.js'];
}

/** `node bin/runbook.js apply PLAYBOOK -i INV --json ...`, events parsed. */
export async function runbook(lab: LabInfo, playbook: string, inventory: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const t0 = Date.now();
  const retryFile = join(mkdtempSync(join(tmpdir(), 'runbook-e2e-retry-')), 'run.retry');
  const r = await run(
    process.execPath,
    [...cliBin(), 'apply', playbook, '-i', inventory, '--json', '--known-hosts', lab.knownHostsFile, '--retry-file', retryFile, ...extra],
    env,
  );
  const events: RunEvent[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line) as RunEvent);
    } catch {
      // not an event line
    }
  }
  const recap = events.find((e): e is RecapEvent => e.type === 'recap');
  return { ...r, events, recap, durationMs: Date.now() - t0, retryFile };
}

export function taskResults(r: RunResult, host: string): TaskResultEvent[] {
  return r.events.filter((e): e is TaskResultEvent => e.type === 'task_result' && e.host === host);
}

/** The tasks that reported a change on a host (for messages of "second run changes nothing"). */
export function changedTasks(r: RunResult, host: string): string {
  return taskResults(r, host)
    .filter((t) => t.status === 'changed')
    .map((t) => `${t.task.name}: ${t.msg ?? ''}`)
    .join('\n');
}

/** What a failed run shows: the failures of the recap, one per line. */
export function failureText(r: RunResult): string {
  return (r.recap?.failures ?? []).map((f) => `${f.host} ${f.task}: ${f.msg}`).join('\n');
}

/** Refuse to send anything to a lab address unless the route goes over the lab bridge. */
export async function assertLabRoute(lab: LabInfo, address: string): Promise<void> {
  const r = await run('ip', ['-4', 'route', 'get', address]);
  const dev = /\bdev (\S+)/.exec(r.stdout)?.[1];
  if (!lab.bridge || dev !== lab.bridge) throw new Error(`route to ${address} goes via ${dev ?? '?'}, not the lab bridge ${lab.bridge ?? '?'}: refusing`);
}

/** curl from the root namespace with the name resolved to the host's lab address. */
export async function curl(lab: LabInfo, host: string, url: string, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const info = lab.hosts.find((h) => h.name === host);
  if (!info?.domain) throw new Error(`no lab host ${host} with a domain`);
  await assertLabRoute(lab, info.address);
  const port = url.startsWith('https:') ? 443 : 80;
  return run('curl', ['-sS', '--max-time', '10', '--resolve', `${info.domain}:${port}:${info.address}`, ...args, url]);
}

/**
 * The host's state that a playbook could change: files under /etc/apache2 and /etc/letsencrypt
 * (checksums), apt's package lists, installed packages, whether Apache runs.
 */
export async function snapshot(lab: LabInfo, host: string): Promise<string> {
  const r = await labExec(lab, host, [
    'sh',
    '-c',
    'find /etc/apache2 /etc/letsencrypt -type f -exec sha256sum {} + 2>/dev/null | sort; ' +
      'find /etc/apache2 /etc/letsencrypt -type l -printf "%p -> %l\\n" 2>/dev/null | sort; ' +
      'ls -l --time-style=+%s /var/lib/apt/lists 2>/dev/null; dpkg-query -W 2>/dev/null | md5sum; ' +
      'pgrep -x apache2 >/dev/null && echo apache-running || echo apache-stopped',
  ]);
  return r.stdout;
}

export async function hostSh(lab: LabInfo, host: string, script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return labExec(lab, host, ['sh', '-c', script], { timeoutMs: 120_000 });
}

/** Verify the HTTPS result from outside the host: 301 to https, chain verifies against the ACME root, HSTS. */
export async function verifyHttps(lab: LabInfo, host: string): Promise<{ redirect: string; status: string; hsts: string | undefined; issuer: string }> {
  const domain = lab.hosts.find((h) => h.name === host)?.domain ?? '';
  const http = await curl(lab, host, `http://${domain}/`, ['-o', '/dev/null', '-w', '%{http_code} %{redirect_url}']);
  const https = await curl(lab, host, `https://${domain}/`, ['-o', '/dev/null', '-D', '-', '--cacert', lab.acme?.rootPemFile ?? '']);
  const hsts = /^strict-transport-security:\s*(.+?)\r?$/im.exec(https.stdout)?.[1];
  const info = lab.hosts.find((h) => h.name === host);
  const issuer = await run('sh', ['-c', `echo | openssl s_client -connect ${info?.address ?? ''}:443 -servername ${domain} 2>/dev/null | openssl x509 -noout -issuer`]);
  return { redirect: http.stdout.trim(), status: (https.stdout.split('\n')[0] ?? '').trim() + (https.code === 0 ? '' : ` (curl exit ${String(https.code)}: ${https.stderr.trim()})`), hsts, issuer: issuer.stdout.trim() };
}

/**
 * One lab instance for a describe block: started in beforeAll (then `ready`, e.g. services the
 * suite needs), stopped in afterAll, with the suite's timings printed to stderr. Call it inside
 * the describe; the returned record is where the suite writes its own timings.
 */
export function labSuite(label: string, options: StartLabOptions, ready: (lab: LabInfo) => void | Promise<void>): Record<string, number> {
  const timings: Record<string, number> = {};
  beforeAll(async () => {
    const t0 = Date.now();
    const lab = await startLab(options);
    await ready(lab);
    timings.labUp = Date.now() - t0;
  });
  afterAll(async () => {
    process.stderr.write(`[e2e ${label}] timings (ms): ${JSON.stringify(timings)}\n`);
    await stopLab(options.name);
  });
  return timings;
}
