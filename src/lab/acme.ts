// The lab's ACME server: Pebble behind a lab CA, with pebble-challtestsrv as its only DNS
// server. Only names the lab registers (each full host's NAME.lab.test) resolve, so Pebble's
// validation can reach nothing but lab hosts, and HTTP-01 really hits the host's port 80.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { EnvironmentError } from '../util/errors.js';
import type { LabContext } from './context.js';
import type { LabState } from './state.js';
import type { LabInfo } from './types.js';
import { runOk, sleep, tail } from './exec.js';
import { isSameAlive, procRef, terminate } from './procs.js';
import type { ProcRef } from './procs.js';
import { assertRouteOverBridge } from './net.js';
import { DNS_PORT as BIND_PORT } from './dns.js';

export const ACME_NAME = 'acme.lab.test';
export const CA_ON_HOST = '/usr/local/share/ca-certificates/runbook-lab-ca.crt';
const ACME_PORT = 14000;
const MGMT_PORT = 15000;
const DNS_PORT = 8053;
const DNS_MGMT_PORT = 8055;

const acmeDir = (stateDir: string): string => join(stateDir, 'acme');
const caDir = (stateDir: string): string => join(acmeDir(stateDir), 'ca');

/** The lab CA as full hosts install it at boot, once it exists. */
export function caForHosts(stateDir: string): { pem: string; hash: string } | undefined {
  const pem = join(caDir(stateDir), 'lab-ca.pem');
  const hashFile = join(caDir(stateDir), 'lab-ca.hash');
  if (!existsSync(pem) || !existsSync(hashFile)) return undefined;
  return { pem, hash: readFileSync(hashFile, 'utf8').trim() };
}

export function acmeInfo(stateDir: string, state: LabState): NonNullable<LabInfo['acme']> {
  return {
    directoryUrl: `https://${ACME_NAME}:${ACME_PORT}/dir`,
    controllerDirectoryUrl: `https://${state.gateway}:${ACME_PORT}/dir`,
    managementUrl: `https://${state.gateway}:${MGMT_PORT}`,
    rootPemFile: join(acmeDir(stateDir), 'pebble-root.pem'),
    caPemFile: join(caDir(stateDir), 'lab-ca.pem'),
    caBundleOnHost: CA_ON_HOST,
    resolver: state.acme?.dnsServer ?? `${state.gateway}:${DNS_PORT}`,
  };
}

/** Lab CA + Pebble's TLS certificate (names: acme.lab.test, the gateway, localhost). */
async function ensureCa(stateDir: string, gateway: string): Promise<void> {
  const d = caDir(stateDir);
  mkdirSync(d, { recursive: true, mode: 0o700 });
  const p = (f: string): string => join(d, f);
  if (!existsSync(p('lab-ca.pem')) || !existsSync(p('lab-ca.key'))) {
    await runOk(
      ['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('lab-ca.key'), '-out', p('lab-ca.pem'), '-days', '3650', '-subj', '/CN=runbook lab CA (Pebble TLS)', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
      'creating the lab CA',
    );
  }
  const hash = await runOk(['openssl', 'x509', '-hash', '-noout', '-in', p('lab-ca.pem')], 'hashing the lab CA');
  writeFileSync(p('lab-ca.hash'), hash.stdout.trim());
  const san = `subjectAltName=DNS:${ACME_NAME},DNS:localhost,IP:127.0.0.1,IP:${gateway}`;
  const sanFile = p('pebble.san');
  const current = existsSync(sanFile) ? readFileSync(sanFile, 'utf8') : '';
  if (!existsSync(p('pebble.pem')) || current !== san) {
    await runOk(['openssl', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('pebble.key'), '-out', p('pebble.csr'), '-subj', `/CN=${ACME_NAME}`], 'creating the Pebble TLS key');
    writeFileSync(p('pebble.ext'), `${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
    await runOk(['openssl', 'x509', '-req', '-in', p('pebble.csr'), '-CA', p('lab-ca.pem'), '-CAkey', p('lab-ca.key'), '-CAcreateserial', '-days', '825', '-out', p('pebble.pem'), '-extfile', p('pebble.ext')], 'signing the Pebble TLS certificate');
    writeFileSync(sanFile, san);
  }
}

function startDetached(argv: readonly string[], logPath: string, env: NodeJS.ProcessEnv): ProcRef {
  const out = openSync(logPath, 'a');
  const [cmd, ...args] = argv;
  const child = spawn(cmd as string, args, { detached: true, stdio: ['ignore', out, out], env });
  closeSync(out);
  child.unref();
  const ref = child.pid === undefined ? undefined : procRef(child.pid);
  if (!ref) throw new EnvironmentError(`lab: could not start ${cmd ?? '?'}`);
  return ref;
}

function request(url: string, opts: { method?: string; body?: string; ca?: Buffer; timeoutMs?: number } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.request(url, { method: opts.method ?? 'GET', ca: opts.ca, timeout: opts.timeoutMs ?? 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function ensureAcme(ctx: LabContext): Promise<void> {
  const { stateDir, state, net } = ctx;
  await assertRouteOverBridge(net);
  await ensureCa(stateDir, net.gateway);
  const dir = acmeDir(stateDir);
  const acme = (state.acme ??= { records: {} });
  const config = join(dir, 'pebble-config.json');
  writeFileSync(
    config,
    `${JSON.stringify(
      {
        pebble: {
          listenAddress: `${net.gateway}:${ACME_PORT}`,
          managementListenAddress: `${net.gateway}:${MGMT_PORT}`,
          certificate: join(caDir(stateDir), 'pebble.pem'),
          privateKey: join(caDir(stateDir), 'pebble.key'),
          // validation really connects to the host's port 80 (HTTP-01) / 443 (TLS-ALPN-01)
          httpPort: 80,
          tlsPort: 443,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
        },
      },
      null,
      2,
    )}\n`,
  );
  if (!isSameAlive(acme.challtestsrv)) {
    // DNS only; no default answers, so only the names the lab registers resolve
    acme.challtestsrv = startDetached(
      ['pebble-challtestsrv', '-dns01', `${net.gateway}:${DNS_PORT}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `${net.gateway}:${DNS_MGMT_PORT}`, '-defaultIPv4', '', '-defaultIPv6', ''],
      join(dir, 'challtestsrv.log'),
      process.env,
    );
    acme.records = {};
  }
  // with the lab's BIND up, Pebble resolves through it (DNS-01 reads the TXT records there)
  const dnsServer = isSameAlive(state.dns?.named) ? `${net.gateway}:${BIND_PORT}` : `${net.gateway}:${DNS_PORT}`;
  if (isSameAlive(acme.pebble) && acme.dnsServer !== dnsServer) {
    await terminate([acme.pebble.pid]);
    delete acme.pebble;
  }
  let pebbleStarted = false;
  if (!isSameAlive(acme.pebble)) {
    // NOSLEEP: no random validation delay; NONCEREJECT=0: no injected badNonce errors.
    // Never PEBBLE_VA_ALWAYS_VALID: validation must really happen.
    acme.pebble = startDetached(['pebble', '-config', config, '-dnsserver', dnsServer], join(dir, 'pebble.log'), {
      ...process.env,
      PEBBLE_VA_NOSLEEP: '1',
      PEBBLE_WFE_NONCEREJECT: '0',
    });
    acme.dnsServer = dnsServer;
    pebbleStarted = true;
  }
  const ca = readFileSync(join(caDir(stateDir), 'lab-ca.pem'));
  const end = Date.now() + 20_000;
  let ready = false;
  while (Date.now() < end) {
    const r = await request(`https://${net.gateway}:${ACME_PORT}/dir`, { ca }).catch(() => undefined);
    const d = await request(`http://${net.gateway}:${DNS_MGMT_PORT}/`, {}).catch(() => undefined);
    if (r?.status === 200 && d !== undefined) {
      ready = true;
      break;
    }
    if (!isSameAlive(acme.pebble) || !isSameAlive(acme.challtestsrv)) break;
    await sleep(100);
  }
  if (!ready) {
    const logs = ['pebble.log', 'challtestsrv.log'].map((f) => (existsSync(join(dir, f)) ? `${f}:\n${tail(readFileSync(join(dir, f), 'utf8'), 5)}` : '')).join('\n');
    throw new EnvironmentError(`lab: the ACME server did not start\n${logs}`);
  }
  // Pebble makes a new root at every start: keep the current one to verify served chains
  if (pebbleStarted || !existsSync(join(dir, 'pebble-root.pem'))) {
    const root = await request(`https://${net.gateway}:${MGMT_PORT}/roots/0`, { ca });
    const inter = await request(`https://${net.gateway}:${MGMT_PORT}/intermediates/0`, { ca });
    if (root.status !== 200) throw new EnvironmentError(`lab: could not fetch Pebble's root (HTTP ${root.status})`);
    writeFileSync(join(dir, 'pebble-root.pem'), root.body);
    writeFileSync(join(dir, 'pebble-intermediate.pem'), inter.body);
  }
}

/** Make every full host's NAME.lab.test resolve (for Pebble) to its address; forget removed hosts. */
export async function registerAcmeNames(ctx: LabContext): Promise<void> {
  const acme = ctx.state.acme;
  if (!acme || !isSameAlive(acme.challtestsrv)) return;
  await assertRouteOverBridge(ctx.net);
  const want = new Map(ctx.state.full.map((h) => [`${h.name}.lab.test`, h.address]));
  const mgmt = `http://${ctx.net.gateway}:${DNS_MGMT_PORT}`;
  for (const [host, addr] of Object.entries(acme.records)) {
    if (want.get(host) === addr) continue;
    await request(`${mgmt}/clear-a`, { method: 'POST', body: JSON.stringify({ host }) }).catch(() => undefined);
    delete acme.records[host];
  }
  for (const [host, addr] of want) {
    if (acme.records[host] === addr) continue;
    const r = await request(`${mgmt}/add-a`, { method: 'POST', body: JSON.stringify({ host, addresses: [addr] }) });
    if (r.status !== 200) throw new EnvironmentError(`lab: registering ${host} with challtestsrv failed (HTTP ${r.status}): ${r.body.trim()}`);
    acme.records[host] = addr;
  }
}

export async function stopAcme(ctx: LabContext): Promise<void> {
  const acme = ctx.state.acme;
  if (!acme) return;
  const pids = [acme.pebble, acme.challtestsrv].filter(isSameAlive).map((r) => r.pid);
  await terminate(pids);
  delete acme.pebble;
  delete acme.challtestsrv;
  acme.records = {};
}
