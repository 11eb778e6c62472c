// `runbook certs` against real hosts: real certbot, real Pebble, real Apache, over real SSH.
// One lab instance, two full hosts that each carry several cases that do not interfere, and two
// fleet hosts (one without certbot, one stopped):
//   ce1  Apache serving a webroot lineage (Ready, chain verified), then renewed on disk without
//        a reload (ServedMismatch), a standalone lineage whose renewal fails because Apache
//        holds port 80 (RenewalFailing), a corrupt renewal conf, a lineage whose PEM is gone,
//        and a second renewal schedule in root's crontab (DuplicateSchedule)
//   ce2  a certificate from the shipped dms playbook, a 90-day lineage signed by the lab CA
//        15 days before expiry (RenewalOverdue), and no renewal schedule (NoSchedule)
//   h001 no certbot at all (a plain fact); h002 down (unreachable, never a bad certificate)
// Then the outputs: --json against the published schema, --prometheus through promtool, --html
// rendered by headless Debian chromium and its screenshot checked; and the record: --history,
// RenewalMissed and RenewalFailing-for-days from the store, with the report's clock moved.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { stringify } from 'yaml';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labExec, labSkipReason, startLab, stopHost, stopLab, type LabInfo } from '../support/lab.js';
import { ensurePackages } from '../../src/lab/packages.js';
import { runCli } from '../support/cli.js';
import { assertLabRoute, ROOT, runbook as runApply } from '../e2e/helpers.js';
import type { CertsReport, HostReport, LineageReport } from '../../src/certs/types.js';

const LAB = 'ce-certs';
// `service apache2 stop` returns before the last process is gone, so a start right after can be a no-op
const APACHE_UP = 'for i in 1 2 3 4 5 6 7 8 9 10; do pgrep -x apache2 >/dev/null && break; service apache2 start >/dev/null 2>&1; sleep 0.5; done; pgrep -x apache2 >/dev/null';
let lab: LabInfo;
let dir: string;
let inventory: string;
let bundle: string;
let store: string;
const timings: Record<string, number> = {};

function sh(cmd: string, args: string[], timeoutMs = 300_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0, stdout, stderr });
    });
  });
}

async function onHost(host: string, script: string): Promise<string> {
  const r = await labExec(lab, host, ['sh', '-c', script], { timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`${host}: ${script}\nexit ${String(r.code)}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function certs(extra: string[] = []): Promise<{ code: number; report: CertsReport; err: string }> {
  const r = await runCli(['certs', '-i', inventory, '--ca-bundle', bundle, '--resolve', `acme.lab.test:14000:${lab.gateway}`, '--json', ...extra], { cwd: dir, env: { RUNBOOK_STORE: store } });
  let report: CertsReport;
  try {
    report = JSON.parse(r.out) as CertsReport;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.out}\n${r.err}`);
  }
  return { code: r.code, report, err: r.err };
}

function host(r: CertsReport, name: string): HostReport {
  const h = r.hosts.find((x) => x.host === name);
  if (!h) throw new Error(`no host ${name} in the report`);
  return h;
}

function lineage(r: CertsReport, h: string, name: string): LineageReport {
  const l = host(r, h).lineages.find((x) => x.name === name);
  if (!l) throw new Error(`no lineage ${name} on ${h}: ${host(r, h).lineages.map((x) => x.name).join(', ')}`);
  return l;
}

function types(l: LineageReport | HostReport): string[] {
  return l.conditions.filter((c) => c.type !== 'Ready' || c.status === 'False').map((c) => `${c.type}:${c.severity}`);
}

/** A 90-day certificate signed by the lab CA, valid from 75 days ago to 15 days ahead (openssl ca can backdate). */
async function shortLived(caPem: string, name: string): Promise<{ cert: string; key: string; chain: string }> {
  const d = mkdtempSync(join(tmpdir(), 'ce-short-'));
  const caKey = join(dirname(caPem), 'lab-ca.key');
  const fmt = (t: number): string => new Date(t).toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  writeFileSync(join(d, 'index.txt'), '');
  writeFileSync(join(d, 'serial'), `${Date.now().toString(16).padStart(16, '0').toUpperCase()}\n`);
  writeFileSync(
    join(d, 'ca.cnf'),
    `[ca]\ndefault_ca=lab\n[lab]\ndir=${d}\ndatabase=${d}/index.txt\nnew_certs_dir=${d}\nserial=${d}/serial\ndefault_md=sha256\npolicy=any\ncopy_extensions=copy\nunique_subject=no\n[any]\ncommonName=supplied\n[ext]\nbasicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nsubjectAltName=DNS:${name}\n`,
  );
  const req = await sh('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(d, 'key.pem'), '-subj', `/CN=${name}`, '-out', join(d, 'req.csr')]);
  if (req.code !== 0) throw new Error(req.stderr);
  const now = Date.now();
  const ca = await sh('openssl', ['ca', '-batch', '-config', join(d, 'ca.cnf'), '-extensions', 'ext', '-cert', caPem, '-keyfile', caKey, '-in', join(d, 'req.csr'), '-out', join(d, 'cert.pem'), '-notext', '-startdate', fmt(now - 75 * 86_400_000), '-enddate', fmt(now + 15 * 86_400_000)]);
  if (ca.code !== 0) throw new Error(ca.stderr);
  return { cert: readFileSync(join(d, 'cert.pem'), 'utf8'), key: readFileSync(join(d, 'key.pem'), 'utf8'), chain: readFileSync(caPem, 'utf8') };
}

/** Decode a PNG (8-bit RGB/RGBA, non-interlaced, as chromium writes) to count pixels near a colour. */
function pngPixels(file: string): { width: number; height: number; count: (rgb: [number, number, number], tol?: number) => number; distinct: number } {
  const buf = readFileSync(file);
  let at = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (at < buf.length) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      colorType = data[9] ?? 0;
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)] ?? 0;
    for (let x = 0; x < stride; x++) {
      const cur = raw[y * (stride + 1) + 1 + x] ?? 0;
      const a = x >= bpp ? (px[y * stride + x - bpp] ?? 0) : 0;
      const b = y > 0 ? (px[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= bpp && y > 0 ? (px[(y - 1) * stride + x - bpp] ?? 0) : 0;
      let v = cur;
      if (f === 1) v = cur + a;
      else if (f === 2) v = cur + b;
      else if (f === 3) v = cur + ((a + b) >> 1);
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v = cur + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      px[y * stride + x] = v & 0xff;
    }
  }
  const colours = new Set<number>();
  for (let i = 0; i < px.length; i += bpp) colours.add(((px[i] ?? 0) << 16) | ((px[i + 1] ?? 0) << 8) | (px[i + 2] ?? 0));
  return {
    width,
    height,
    distinct: colours.size,
    count: ([r, g, b], tol = 12) => {
      let n = 0;
      for (let i = 0; i < px.length; i += bpp) if (Math.abs((px[i] ?? 0) - r) <= tol && Math.abs((px[i + 1] ?? 0) - g) <= tol && Math.abs((px[i + 2] ?? 0) - b) <= tol) n++;
      return n;
    },
  };
}

/**
 * Debian's chromium and prometheus (promtool), installed by the test set-up when missing, the
 * way the lab installs its own packages (one lock with the labs starting beside it).
 */
async function ensureBrowserAndPromtool(): Promise<void> {
  if (existsSync('/usr/bin/chromium') && existsSync('/usr/bin/promtool')) return;
  const t0 = Date.now();
  await ensurePackages(['chromium', 'prometheus']);
  timings.aptInstall = Date.now() - t0;
}

describe.skipIf(labSkipReason())('runbook certs on real hosts (certbot, Pebble, Apache)', () => {
  beforeAll(async () => {
    const packages = ensureBrowserAndPromtool();
    const t0 = Date.now();
    lab = await startLab({ name: LAB, full: [{ name: 'ce1', layer: 'apache' }, { name: 'ce2', layer: 'apache' }, { name: 'ce3', layer: 'apache', init: 'systemd' }], fleet: 2, acme: true });
    timings.labUp = Date.now() - t0;
    const acme = lab.acme;
    if (!acme) throw new Error('the lab has no ACME server');
    dir = mkdtempSync(join(tmpdir(), 'ce-certs-'));
    store = join(dir, 'state', 'runbook.db');
    bundle = join(dir, 'bundle.pem');
    // served chains are Pebble's; the ACME server's own TLS certificate is the lab CA's
    writeFileSync(bundle, readFileSync(acme.rootPemFile, 'utf8') + readFileSync(acme.caPemFile, 'utf8'));
    const hosts: Record<string, unknown> = {};
    for (const h of lab.hosts) hosts[h.name] = { ansible_host: h.address, ansible_port: h.port, ...(h.domain ? { domain: h.domain } : {}) };
    inventory = join(dir, 'inventory.yml');
    writeFileSync(inventory, stringify({ all: { vars: { ansible_user: lab.users.nopasswd.name, ansible_ssh_private_key_file: lab.keyFile, runbook_known_hosts_file: lab.knownHostsFile }, hosts } }));
    for (const h of lab.hosts) await assertLabRoute(lab, h.address);

    const server = `--server ${acme.directoryUrl} --agree-tos -m noc@example.org --non-interactive`;
    const t1 = Date.now();
    const ce1 = (async () => {
      // a webroot lineage served by Apache's default-ssl site
      await onHost(
        'ce1',
        `set -e; certbot certonly --webroot -w /var/www/html -d ce1.lab.test ${server} >/dev/null 2>&1
         a2enmod -q ssl >/dev/null; a2ensite -q default-ssl >/dev/null
         sed -i -e 's|^\\(\\s*\\)SSLCertificateFile.*|\\1SSLCertificateFile /etc/letsencrypt/live/ce1.lab.test/fullchain.pem|' -e 's|^\\(\\s*\\)SSLCertificateKeyFile.*|\\1SSLCertificateKeyFile /etc/letsencrypt/live/ce1.lab.test/privkey.pem|' /etc/apache2/sites-available/default-ssl.conf
         service apache2 restart >/dev/null 2>&1`,
      );
      // a standalone lineage issued while Apache was stopped; Apache back on port 80
      await onHost('ce1', `set -e; service apache2 stop >/dev/null 2>&1; certbot certonly --standalone --cert-name ce1-standalone -d ce1.lab.test ${server} >/dev/null 2>&1; ${APACHE_UP}`);
    })();
    const ce2 = runApply(lab, 'playbooks/dms.yml', writeApplyInventory(), ['-e', 'certbot_install_method=apt'], { RUNBOOK_STORE: store });
    // systemd as PID 1: certbot.timer is the schedule and the journal records certbot.service's runs
    // (--wait: a host is handed over once sshd answers; its boot may still be running)
    const ce3 = onHost('ce3', `systemctl is-system-running --wait >/dev/null; set -e; certbot certonly --webroot -w /var/www/html -d ce3.lab.test ${server} >/dev/null 2>&1`);
    await ce1;
    await ce3;
    const dms = await ce2;
    if (dms.code !== 0) throw new Error(`dms playbook failed on ce2 (exit ${String(dms.code)}):\n${dms.stderr}\n${dms.stdout.slice(-3000)}`);
    timings.issue = Date.now() - t1;
    const short = await shortLived(acme.caPemFile, 'short.lab.test');
    await onHost(
      'ce2',
      `set -e; D=/etc/letsencrypt; mkdir -p $D/archive/short.lab.test $D/live/short.lab.test
       cat > $D/archive/short.lab.test/cert1.pem <<'EOF'\n${short.cert}EOF
       cat > $D/archive/short.lab.test/chain1.pem <<'EOF'\n${short.chain}EOF
       cat $D/archive/short.lab.test/cert1.pem $D/archive/short.lab.test/chain1.pem > $D/archive/short.lab.test/fullchain1.pem
       cat > $D/archive/short.lab.test/privkey1.pem <<'EOF'\n${short.key}EOF
       for k in cert chain fullchain privkey; do ln -sf ../../archive/short.lab.test/\${k}1.pem $D/live/short.lab.test/$k.pem; done
       sed -e 's/dms-ce2.lab.test/short.lab.test/g' -e 's/ce2.lab.test/short.lab.test/g' $D/renewal/ce2.lab.test.conf > $D/renewal/short.lab.test.conf
       rm /etc/cron.d/certbot`,
    );
    await packages;
  });

  afterAll(async () => {
    process.stderr.write(`[certs] timings (ms): ${JSON.stringify(timings)}\n`);
    await stopLab(LAB);
  });

  function writeApplyInventory(): string {
    const info = lab.hosts.find((h) => h.name === 'ce2');
    const file = join(dir, 'apply-inventory.yml');
    const acme = lab.acme;
    writeFileSync(
      file,
      stringify({
        all: {
          vars: { ansible_ssh_private_key_file: lab.keyFile, runbook_known_hosts_file: lab.knownHostsFile, email: 'noc@example.org', acme_server: acme?.directoryUrl, acme_ca_bundle: acme?.caBundleOnHost, preflight_resolver: acme?.resolver },
          hosts: { ce2: { ansible_host: info?.address, ansible_port: info?.port, ansible_user: 'deploy', domain: info?.domain } },
        },
      }),
    );
    return file;
  }

  it('healthy hosts: served certificate verified, schedule found, ARI not offered by Pebble, no certbot and unreachable told apart', async () => {
    await stopHost(lab, 'h002');
    const t0 = Date.now();
    const { code, report } = await certs();
    timings.report1 = Date.now() - t0;
    const l = lineage(report, 'ce1', 'ce1.lab.test');
    expect(l.cert?.names).toEqual(['ce1.lab.test']);
    expect(l.cert?.issuerCN).toMatch(/Pebble Intermediate/);
    expect(l.served).toEqual([expect.objectContaining({ name: 'ce1.lab.test', status: 'match', verified: true, servedSerial: l.cert?.serial })]);
    expect(l.ari).toMatchObject({ status: 'not-offered', message: 'ARI not offered' });
    expect(l.conditions[0]).toMatchObject({ type: 'Ready' });
    expect(l.authenticator).toBe('webroot');
    // Debian's certbot in a container: the timer exists but systemd is not PID 1, cron does the job
    const ce1 = host(report, 'ce1');
    expect(ce1.init).toBe('other');
    expect(ce1.certbot).toMatchObject({ installed: true, source: 'deb', ari: false });
    expect(ce1.schedulers.find((s) => s.source === 'certbot.timer')).toMatchObject({ effective: false });
    expect(ce1.schedulers.find((s) => s.source.startsWith('/etc/cron.d/certbot'))).toMatchObject({ effective: true });

    const dms = lineage(report, 'ce2', 'ce2.lab.test');
    expect(dms.authenticator).toBe('standalone');
    expect(dms.hooks).toMatchObject({ pre: 'service apache2 stop', post: 'service apache2 start' });
    expect(dms.attempts.some((a) => a.dryRun && a.outcome === 'renewed')).toBe(true);
    expect(types(dms)).toContain('NoSchedule:warning');

    expect(types(host(report, 'h001'))).toEqual(['NoCertbot:info']);
    expect(host(report, 'h001').severity).toBe('info');
    const down = host(report, 'h002');
    expect(down.reachable).toBe(false);
    expect(down.lineages).toEqual([]);
    expect(types(down)).toEqual(['Unreachable:unknown']);

    const short = lineage(report, 'ce2', 'short.lab.test');
    expect(short.lifetimeDays).toBe(90);
    expect(types(short)).toContain('RenewalOverdue:warning');
    expect(code).toBe(report.exitCode);
    expect(code).toBe(1);

    // the published schema describes what --json prints
    const ajv = new Ajv({ allErrors: true, strict: true, validateFormats: false });
    const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas/certs.schema.json'), 'utf8')) as object);
    expect(validate(report), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
  });

  it('a systemd host: certbot.timer is the effective schedule, the cron job stands aside, the journal\'s runs and a failed run', async () => {
    // a scheduled run with nothing due: the unit finishes
    // systemctl returns when the job ends; journald may write systemd's own lines a moment later
    const waitJournal = (what: string): string =>
      `for i in $(seq 100); do journalctl -u certbot.service --since "@$t0" -o cat | grep -q '${what}' && break; sleep 0.1; done`;
    await onHost('ce3', `t0=$(date +%s); systemctl start certbot.service; ${waitJournal('Finished')}`);
    let report = (await certs(['--limit', 'ce3'])).report;
    let ce3 = host(report, 'ce3');
    expect(ce3.init).toBe('systemd');
    const timer = ce3.schedulers.find((x) => x.source === 'certbot.timer');
    expect(timer).toMatchObject({ kind: 'systemd-timer', effective: true });
    expect(timer?.detail).toMatch(/^enabled, active, next /);
    // Debian's /etc/cron.d/certbot skips itself when systemd runs: not a second schedule
    expect(ce3.schedulers.find((x) => x.source.startsWith('/etc/cron.d/certbot'))).toMatchObject({ effective: false, note: expect.stringMatching(/skips itself when systemd runs/) as unknown });
    expect(types(ce3)).toEqual([]);
    expect(ce3.scheduledRuns?.[0]).toMatchObject({ outcome: 'finished' });
    expect(types(lineage(report, 'ce3', 'ce3.lab.test'))).not.toContain('NoSchedule:warning');

    // due (renew_before_expiry, a top-level key, longer than the lab's 5-year certificates) and the ACME server unreachable: the
    // scheduled run really fails, and the journal says so
    await onHost(
      'ce3',
      "sed -i '1i renew_before_expiry = 3650 days' /etc/letsencrypt/renewal/ce3.lab.test.conf; cp /etc/hosts /tmp/hosts.ce; grep -v acme.lab.test /tmp/hosts.ce > /tmp/hosts.blocked; echo '127.0.0.2 acme.lab.test' >> /tmp/hosts.blocked; cat /tmp/hosts.blocked > /etc/hosts; " +
        `t0=$(date +%s); systemctl start certbot.service; rc=$?; cat /tmp/hosts.ce > /etc/hosts; sed -i /renew_before_expiry/d /etc/letsencrypt/renewal/ce3.lab.test.conf; ${waitJournal('Failed with result')}; test $rc -ne 0`,
    );
    report = (await certs(['--limit', 'ce3'])).report;
    ce3 = host(report, 'ce3');
    expect(ce3.scheduledRuns?.[0]).toMatchObject({ outcome: 'failure' });
    expect(ce3.scheduledRuns?.[1]).toMatchObject({ outcome: 'finished' });
    expect(types(ce3)).toEqual(['ScheduledRunFailed:warning']);
    expect(ce3.conditions.find((c) => c.type === 'ScheduledRunFailed')?.message).toMatch(/journalctl -u certbot\.service/);
  });

  it('special cases: served mismatch after a renewal on disk, failing renewals, corrupt conf, missing PEM, two schedules', async () => {
    const t0 = Date.now();
    const before = lineage((await certs(['--limit', 'ce1'])).report, 'ce1', 'ce1.lab.test').cert?.serial;
    // renewed on disk, Apache not reloaded: it keeps serving the previous certificate
    await onHost('ce1', 'certbot renew --cert-name ce1.lab.test --force-renewal --no-random-sleep-on-renew >/dev/null 2>&1');
    // the node cannot reach its ACME server (as behind a firewall that blocks egress): the renewal
    // fails for real. (Failing the challenge instead is not reliable: Pebble reuses valid authorizations.)
    const fail = await labExec(lab, 'ce1', [
      'sh',
      '-c',
      'cp /etc/hosts /tmp/hosts.ce; grep -v acme.lab.test /tmp/hosts.ce > /tmp/hosts.blocked; echo "127.0.0.2 acme.lab.test" >> /tmp/hosts.blocked; cat /tmp/hosts.blocked > /etc/hosts; ' +
        'certbot renew --cert-name ce1-standalone --force-renewal --no-random-sleep-on-renew; rc=$?; cat /tmp/hosts.ce > /etc/hosts; exit $rc',
    ]);
    expect(fail.code, fail.stdout + fail.stderr).not.toBe(0);
    await onHost(
      'ce1',
      `set -e; D=/etc/letsencrypt/renewal
       printf 'version = 2.1.0\\narchive_dir = /etc/letsencrypt/archive/broken\\n[renewalparams\\nthis is not a conf\\n' > $D/broken.conf
       sed 's/ce1\\.lab\\.test/gone.lab.test/g' $D/ce1.lab.test.conf > $D/gone.lab.test.conf
       echo '17 4 * * * /usr/bin/certbot renew -q' | crontab -`,
    );
    const { code, report } = await certs(['--limit', 'ce1,h001']);
    timings.specialCases = Date.now() - t0;

    const web = lineage(report, 'ce1', 'ce1.lab.test');
    expect(web.cert?.serial).not.toBe(before);
    expect(web.versions).toBe(2);
    expect(web.served[0]).toMatchObject({ status: 'mismatch', servedSerial: before });
    expect(web.conditions.find((c) => c.type === 'ServedMismatch')).toMatchObject({ severity: 'warning', reason: 'ServingOldCertificate' });
    expect(web.conditions.find((c) => c.type === 'ServedMismatch')?.message).toMatch(/reload/);

    const sa = lineage(report, 'ce1', 'ce1-standalone');
    const failing = sa.conditions.find((c) => c.type === 'RenewalFailing');
    expect(failing).toMatchObject({ severity: 'warning', reason: 'LastRenewalFailed' });
    expect(failing?.message).toMatch(/Connection refused|Max retries|Failed to establish/i);
    expect(sa.attempts[0]).toMatchObject({ outcome: 'failed', dryRun: false });

    const broken = lineage(report, 'ce1', 'broken');
    expect(broken.conditions.find((c) => c.type === 'RenewalConfigInvalid')?.message).toMatch(/broken\.conf:3/);
    const gone = lineage(report, 'ce1', 'gone.lab.test');
    expect(gone.conditions.find((c) => c.type === 'CertificateMissing')).toMatchObject({ severity: 'critical', reason: 'PemMissing' });
    expect(gone.cert).toBeUndefined();

    const dup = web.conditions.find((c) => c.type === 'DuplicateSchedule');
    expect(dup?.message).toMatch(/crontab:root/);
    expect(dup?.message).toMatch(/\/etc\/cron\.d\/certbot/);
    // a missing PEM is critical; h001 is still a plain fact
    expect(code).toBe(2);
    expect(types(host(report, 'h001'))).toEqual(['NoCertbot:info']);

    // the fix for the mismatch works and the report sees it
    await onHost('ce1', 'service apache2 reload >/dev/null 2>&1; sleep 1');
    const after = lineage((await certs(['--limit', 'ce1'])).report, 'ce1', 'ce1.lab.test');
    expect(after.served[0]).toMatchObject({ status: 'match', verified: true });
  });

  it('the clock moved: expiry thresholds, failing for days and a missed renewal come from the record', async () => {
    // 6 days on: 9 of 90 days left is critical
    const soon = await certs(['--limit', 'ce2', '--now', '+6d']);
    expect(lineage(soon.report, 'ce2', 'short.lab.test').conditions.find((c) => c.type === 'RenewalOverdue')).toMatchObject({ severity: 'critical', reason: 'ExpiresSoon' });
    expect(soon.code).toBe(2);
    const gone = await certs(['--limit', 'ce2', '--now', '+16d']);
    expect(types(lineage(gone.report, 'ce2', 'short.lab.test'))).toContain('Expired:critical');
    // the standalone renewal has been failing for 4 days: critical
    const fail = await certs(['--limit', 'ce1', '--now', '+4d']);
    expect(lineage(fail.report, 'ce1', 'ce1-standalone').conditions.find((c) => c.type === 'RenewalFailing')).toMatchObject({ severity: 'critical', reason: 'FailingForDays' });
    // Pebble's 5-year certificate is due after 2/3 of its life; seen due on one run and still
    // the same a day later: the record says the renewal was missed
    const due1 = await certs(['--limit', 'ce2', '--now', '+1300d', '--offline']);
    expect(types(lineage(due1.report, 'ce2', 'ce2.lab.test'))).toContain('RenewalDue:info');
    expect(types(lineage(due1.report, 'ce2', 'ce2.lab.test'))).not.toContain('RenewalMissed:warning');
    const due2 = await certs(['--limit', 'ce2', '--now', '+1302d', '--offline']);
    expect(types(lineage(due2.report, 'ce2', 'ce2.lab.test'))).toContain('RenewalMissed:warning');
    // thresholds are options: due at half the lifetime instead of 2/3
    const half = await certs(['--limit', 'ce2', '--now', '+1000d', '--offline', '--due-fraction', '0.5']);
    expect(types(lineage(half.report, 'ce2', 'ce2.lab.test'))).toContain('RenewalDue:info');
  });

  it('--history shows each certificate over time, the renewal attempts and what runbook apply recorded', async () => {
    const r = await runCli(['certs', '--history', 'ce1'], { cwd: dir, env: { RUNBOOK_STORE: store } });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ce1 ce1\.lab\.test\n\s+serial \S+ .* replaced by \S+\n\s+serial \S+ .*\(current\)/);
    expect(r.out).toMatch(/ce1-standalone\s+failed: .*(Connection refused|Max retries|Failed to establish)/i);
    const j = await runCli(['certs', '--history', 'ce2', '--json'], { cwd: dir, env: { RUNBOOK_STORE: store } });
    const hist = JSON.parse(j.out) as { certificates: Array<{ lineage: string }>; applyOutputs: Array<{ host: string; outputs: Record<string, unknown> }> };
    expect(hist.certificates.map((c) => c.lineage)).toContain('ce2.lab.test');
    expect(hist.applyOutputs[0]).toMatchObject({ host: 'ce2', outputs: { domain: 'ce2.lab.test', fullchain: '/etc/letsencrypt/live/ce2.lab.test/fullchain.pem' } });
  });

  it('--prometheus passes promtool; --html renders in headless chromium with the expiry timeline and the rows', async () => {
    const prom = join(dir, 'certs.prom');
    const html = join(dir, 'certs.html');
    const r = await certs(['--prometheus', prom, '--html', html]);
    const text = readFileSync(prom, 'utf8');
    expect(text).toMatch(/^x509_cert_not_after\{host="ce1",filepath="\/etc\/letsencrypt\/live\/ce1\.lab\.test\/cert\.pem",serial_number="[0-9A-F]+".*\} \d{10}$/m);
    expect(text).toMatch(/^runbook_certs_host_up\{host="h002"\} 0$/m);
    expect(text).toMatch(/^runbook_certs_status 2$/m);
    const lint = await sh('sh', ['-c', `promtool check metrics < ${prom}`]);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    expect(lint.stdout + lint.stderr).toBe('');

    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script|<link|https?:\/\/(?!acme)/);
    const png = join(dir, 'certs.png');
    const profile = mkdtempSync(join(tmpdir(), 'ce-chromium-'));
    const shot = await sh(
      'chromium',
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--hide-scrollbars', '--window-size=1200,900', `--screenshot=${png}`, `file://${html}`],
      120_000,
    );
    expect(existsSync(png), shot.stderr).toBe(true);
    const img = pngPixels(png);
    expect(img.width).toBe(1200);
    expect(img.height).toBe(900);
    // the critical red (badge, dots, status) and the warning orange are on screen, not a blank page
    expect(img.count([0xc6, 0x28, 0x28])).toBeGreaterThan(200);
    expect(img.count([0xef, 0x8f, 0x00])).toBeGreaterThan(100);
    expect(img.distinct).toBeGreaterThan(50);
    expect(r.report.status).toBe('CRITICAL');
    process.stderr.write(`[certs] screenshot: ${png}\n`);
  });
});
