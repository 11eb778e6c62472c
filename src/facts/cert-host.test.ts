// The certbot host fact as data: real output of the host script (a Debian 12 lab host with
// certbot 2.1, an Apache lineage, a corrupt conf, a conf whose PEM is gone, an orphan live dir,
// a second schedule in root's crontab and certbot's own log of three runs), the same files on
// a systemd host, and a host without certbot, each parsed to what the report builds on.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certHostCommand, certHostComplete, parseCertHost } from './cert-host.js';
import { parseCertbotJournal, parseCertbotLog, tzOffsetMinutes } from './cert-log.js';
import { parseRenewalConf } from './cert-renewal-conf.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', 'cert-host', name), 'utf8');

describe('cert-host fact', () => {
  it('is one command that reads the config dir it is given, quoted', () => {
    const text = certHostCommand("/srv/le dir/'x").toShell();
    expect(text.startsWith("D='/srv/le dir/'\\''x';")).toBe(true);
    expect(text).toContain('@@end');
    // private keys are only tested for existence, never read
    expect(text).not.toMatch(/cat[^;]*privkey|sed[^;]*privkey/);
  });

  it('debian12-container: lineages, broken conf, missing PEM, orphan, schedulers, renewal runs', () => {
    const out = fixture('debian12-container.txt');
    expect(certHostComplete(out)).toBe(true);
    expect(certHostComplete(out.replace(/@@end\s*$/, ''))).toBe(false);
    const f = parseCertHost(out);
    expect(f.init).toEqual({ systemdRunning: false, pid1: 'lab-init' });
    expect(f.certbot).toEqual({ installed: true, path: '/usr/bin/certbot', source: 'deb', version: '2.1.0-4' });
    expect(f.hostTime).toBe(1796284361);
    expect(f.lineages.map((l) => l.name)).toEqual(['broken', 'cedev1.lab.test', 'gone.lab.test']);

    const [broken, good, gone] = f.lineages;
    expect(broken?.conf.errors[0]).toEqual({ line: 2, message: "section header without its closing ']': [renewalparams" });
    expect(broken?.certPem).toBeUndefined();

    expect(good?.conf.errors).toEqual([]);
    expect(good?.conf.params).toMatchObject({ authenticator: 'apache', installer: 'apache', server: 'https://acme.lab.test:14000/dir', key_type: 'ecdsa' });
    expect(good?.certPath).toBe('/etc/letsencrypt/live/cedev1.lab.test/cert.pem');
    expect(good?.certPem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----$/);
    expect(good?.certTarget).toBe('/etc/letsencrypt/archive/cedev1.lab.test/cert1.pem');
    expect(good?.files.privkey).toEqual({ path: '/etc/letsencrypt/live/cedev1.lab.test/privkey.pem', exists: true });
    expect(good?.archive).toEqual([{ version: 1, mtime: new Date(1796284014 * 1000).toISOString() }]);

    expect(gone?.conf.errors).toEqual([]);
    expect(gone?.files.cert).toEqual({ path: '/etc/letsencrypt/live/gone.lab.test/cert.pem', exists: false });
    expect(gone?.certPem).toBeUndefined();

    expect(f.orphans).toEqual(['orphan.lab.test']);
    expect(f.timers).toEqual([{ unit: 'certbot.timer', present: true, unitFileState: 'enabled', activeState: 'inactive' }]);
    expect(f.cronDaemonRunning).toBe(true);
    // comments are not schedules; Debian's entry is marked as the one that yields to systemd
    expect(f.cron).toEqual([
      expect.objectContaining({ file: '/etc/cron.d/certbot', line: 17, onlyWithoutSystemd: true }),
      { file: 'crontab:root', line: 4, text: '17 4 * * * /usr/bin/certbot renew -q', onlyWithoutSystemd: false },
    ]);

    // three runs in one log file (certbot rotates at 1 MiB): issuance, not due, a failed renewal
    expect(f.attempts.map((a) => [a.at, a.verb, a.outcome])).toEqual([
      ['2026-12-03T07:51:20.561Z', 'renew', 'failure'],
      ['2026-12-03T07:51:18.039Z', 'renew', 'nothing-due'],
      ['2026-12-03T07:46:45.833Z', 'run', 'unknown'],
    ]);
    expect(f.attempts[0]?.lineages['cedev1.lab.test']).toEqual({ outcome: 'failed', error: expect.stringMatching(/^You should register before running non-interactively/) as unknown });
    expect(f.attempts[1]?.lineages).toEqual({ 'cedev1.lab.test': { outcome: 'not-due' } });
  });

  it('debian12-systemd: the timer runs, the guarded cron entry does not, the journal adds runs, log times in local time', () => {
    const f = parseCertHost(fixture('debian12-systemd.txt'));
    expect(f.init).toEqual({ systemdRunning: true, pid1: 'systemd' });
    expect(f.timers).toEqual([
      { unit: 'certbot.timer', present: true, unitFileState: 'enabled', activeState: 'active', nextElapse: 'Thu 2026-12-03 19:02:11 UTC', lastTrigger: 'Thu 2026-12-03 07:02:11 UTC' },
      { unit: 'snap.certbot.renew.timer', present: false, activeState: 'inactive' },
    ]);
    expect(f.tz).toBe('+0100');
    // the same log lines, written at +0100: one hour earlier in UTC
    expect(f.attempts.find((a) => a.source.endsWith('letsencrypt.log') && a.outcome === 'failure')?.at).toBe('2026-12-03T06:51:20.561Z');
    const journal = f.attempts.filter((a) => a.source === 'journal');
    expect(journal.map((a) => [a.at, a.outcome])).toEqual([
      ['2026-12-03T07:02:12.000Z', 'unknown'],
      ['2026-12-02T19:02:15.000Z', 'failure'],
    ]);
  });

  it('no certbot: a plain, complete answer with nothing in it', () => {
    const f = parseCertHost(fixture('no-certbot.txt'));
    expect(f.certbot).toEqual({ installed: false });
    expect(f.configDirExists).toBe(false);
    expect(f.lineages).toEqual([]);
    expect(f.cronDaemonRunning).toBe(false);
  });

  it('file contents cannot forge a section: every content line is prefixed', () => {
    const out = fixture('debian12-container.txt').replace('|version = 2.1.0\n|[renewalparams', '|version = 2.1.0\n|@@end\n|@@conf evil\n|[renewalparams');
    const f = parseCertHost(out);
    expect(f.lineages.map((l) => l.name)).toEqual(['broken', 'cedev1.lab.test', 'gone.lab.test']);
  });
});

describe('renewal conf', () => {
  it('reads top-level keys and [renewalparams], ignores subsections and comments', () => {
    const c = parseRenewalConf(
      '# renew_before_expiry = 30 days\nversion = 2.1.0\narchive_dir = /etc/letsencrypt/archive/a\ncert = /etc/letsencrypt/live/a/cert.pem\n\n[renewalparams]\nauthenticator = webroot\npre_hook = "service apache2 stop"\n[[webroot_map]]\na.example = /var/www/html\n',
    );
    expect(c.errors).toEqual([]);
    expect(c.top).toEqual({ version: '2.1.0', archive_dir: '/etc/letsencrypt/archive/a', cert: '/etc/letsencrypt/live/a/cert.pem' });
    expect(c.params).toEqual({ authenticator: 'webroot', pre_hook: 'service apache2 stop' });
  });

  it('an empty file, garbage, or a conf without cert is broken, with a line number', () => {
    expect(parseRenewalConf('').errors).toEqual([{ line: 1, message: 'empty file: no cert, privkey, fullchain or renewalparams' }]);
    expect(parseRenewalConf('\u0000\u0001binary junk').errors[0]?.line).toBe(1);
    expect(parseRenewalConf('version = 1\n[renewalparams]\nauthenticator = x\n').errors).toEqual([{ line: 1, message: "no 'cert = ' line" }]);
  });
});

describe('certbot logs', () => {
  it('reads renewed, not due and failed lineages, and the dry runs', () => {
    const lines = [
      "2026-12-01 03:00:01,001:DEBUG:certbot._internal.main:certbot version: 4.1.1",
      "2026-12-01 03:00:01,002:DEBUG:certbot._internal.main:Arguments: ['-q', '--dry-run']",
      '2026-12-01 03:00:01,100:DEBUG:certbot._internal.display.obj:Notifying user: Processing /etc/letsencrypt/renewal/a.example.conf',
      '2026-12-01 03:00:02,100:DEBUG:certbot._internal.display.obj:Notifying user: Processing /etc/letsencrypt/renewal/b.example.conf',
      '2026-12-01 03:00:03,000:ERROR:certbot._internal.renewal:Renewal configuration file /etc/letsencrypt/renewal/b.example.conf is broken.',
      '2026-12-01 03:00:04,000:DEBUG:certbot._internal.display.obj:Notifying user: The following simulated renewals succeeded:',
      '  /etc/letsencrypt/live/a.example/fullchain.pem (success)',
    ];
    const [a] = parseCertbotLog('letsencrypt.log.1', lines, '-0500');
    expect(a).toMatchObject({ at: '2026-12-01T08:00:01.001Z', verb: 'renew', dryRun: true, outcome: 'failure' });
    expect(a?.lineages).toEqual({ 'a.example': { outcome: 'renewed' }, 'b.example': { outcome: 'broken', error: expect.stringMatching(/is broken/) as unknown } });
  });

  it('a run without timestamps is not an attempt; timezone offsets parse', () => {
    expect(parseCertbotLog('x', ['  /etc/letsencrypt/live/a/fullchain.pem (success)'])).toEqual([]);
    expect(tzOffsetMinutes('+0530')).toBe(330);
    expect(tzOffsetMinutes('-08:00')).toBe(-480);
    expect(tzOffsetMinutes('garbage')).toBe(0);
  });

  it('journal: a failed start is a failed run', () => {
    const runs = parseCertbotJournal([
      '2026-12-02T19:02:15+0000 n systemd[1]: Starting certbot.service - Certbot...',
      "2026-12-02T19:02:20+0000 n systemd[1]: certbot.service: Failed with result 'exit-code'.",
    ]);
    expect(runs).toEqual([{ source: 'journal', at: '2026-12-02T19:02:15.000Z', verb: 'renew', dryRun: false, lineages: {}, outcome: 'failure' }]);
  });

  it('journal: microsecond times (short-iso-precise) keep two runs in one second apart', () => {
    const runs = parseCertbotJournal([
      '2026-12-02T19:02:15.100200+00:00 n systemd[1]: Starting certbot.service - Certbot...',
      '2026-12-02T19:02:15.300400+00:00 n systemd[1]: Finished certbot.service - Certbot.',
      '2026-12-02T19:02:15.700800+0000 n systemd[1]: Starting certbot.service - Certbot...',
      '2026-12-02T19:02:15.900900+0000 n systemd[1]: certbot.service: Main process exited, code=exited, status=1/FAILURE',
      "2026-12-02T19:02:15.901000+0000 n systemd[1]: certbot.service: Failed with result 'exit-code'.",
    ]);
    expect(runs.map((r) => [r.at, r.outcome])).toEqual([
      ['2026-12-02T19:02:15.100Z', 'unknown'],
      ['2026-12-02T19:02:15.700Z', 'failure'],
    ]);
  });
});

// The script itself, run by this machine's shells on a certbot directory made here: every
// fact comes out of the one pass over the files (no readlink, no sed, no ls) as the parser
// expects, whatever the directory's name and the files' contents.
describe('cert-host script on real files', () => {
  const shells = ['/bin/sh', '/bin/dash', '/bin/bash', '/bin/busybox'].filter((s) => existsSync(s));
  const pemOf = (text: string): string => /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(text.replace(/^\|/gm, ''))?.[0] ?? '';
  const pem = pemOf(fixture('debian12-container.txt'));
  const root = mkdtempSync(join(tmpdir(), 'ce-host-'));
  const D = join(root, "le dir/'x");
  const L = join(root, 'logs');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  mkdirSync(join(D, 'renewal'), { recursive: true });
  mkdirSync(join(D, 'archive', 'a.example'), { recursive: true });
  mkdirSync(join(D, 'live', 'a.example'), { recursive: true });
  mkdirSync(join(D, 'live', 'orphan.example'), { recursive: true });
  mkdirSync(L);
  for (const v of [1, 2]) {
    writeFileSync(join(D, 'archive', 'a.example', `cert${v}.pem`), `${pem}\n`);
    utimesSync(join(D, 'archive', 'a.example', `cert${v}.pem`), 1_700_000_000 + v, 1_700_000_000 + v);
  }
  writeFileSync(join(D, 'archive', 'a.example', 'privkey2.pem'), 'never read\n');
  symlinkSync('../../archive/a.example/cert2.pem', join(D, 'live', 'a.example', 'cert.pem'));
  symlinkSync('../../archive/a.example/privkey2.pem', join(D, 'live', 'a.example', 'privkey.pem'));
  // keys with odd spacing, a line that looks like a section marker, no newline at the end
  writeFileSync(
    join(D, 'renewal', 'a.example.conf'),
    `version = 2.1.0\n  cert   =  ${D}/live/a.example/cert.pem\nprivkey=${D}/live/a.example/privkey.pem\n@@end\n@@conf evil\n[renewalparams]\nauthenticator = webroot\nserver = https://acme.example/dir`,
  );
  // no cert key and far over 64 KiB: cut, and the default paths are checked
  writeFileSync(join(D, 'renewal', 'big.example.conf'), `[renewalparams]\n${'# padding padding padding padding padding padding\n'.repeat(2000)}`);
  const run = (n: number): string => `2026-12-0${n} 03:00:01,001:DEBUG:certbot._internal.main:certbot version: 2.1.0\n2026-12-0${n} 03:00:01,002:DEBUG:certbot._internal.main:Arguments: ['-q']\n2026-12-0${n} 03:00:01,100:DEBUG:certbot._internal.display.obj:Notifying user: Processing ${D}/renewal/a.example.conf\n2026-12-0${n} 03:00:01,200:DEBUG:certbot._internal.display.obj:Notifying user: Certificate not yet due for renewal\nnoise that no pattern matches\n2026-12-0${n} 03:00:01,300:DEBUG:certbot._internal.display.obj:Notifying user: No renewals were attempted.\n`;
  writeFileSync(join(L, 'letsencrypt.log'), run(3));
  writeFileSync(join(L, 'letsencrypt.log.2'), run(2) + 'x'.repeat(700).replace(/^/, '2026-12-02 03:00:02,000:DEBUG:certbot._internal.main:Arguments: '));
  // older than the newest 12: not read
  writeFileSync(join(L, 'letsencrypt.log.12'), run(1));

  for (const shell of shells) {
    it(`${shell}: lineages, files, the current archive version, mtimes, orphans and the logs`, () => {
      const out = execFileSync(shell, ['-c', certHostCommand(D, L).toShell()], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(certHostComplete(out)).toBe(true);
      const f = parseCertHost(out, D);
      expect(f.configDirExists).toBe(true);
      expect(f.hostTime).toBeGreaterThan(1_700_000_000);
      expect(f.tz).toMatch(/^[+-]\d{4}$/);
      expect(f.lineages.map((l) => l.name)).toEqual(['a.example', 'big.example']);
      const [a, big] = f.lineages;
      expect(a?.conf.params).toMatchObject({ authenticator: 'webroot', server: 'https://acme.example/dir' });
      expect(a?.certPath).toBe(`${D}/live/a.example/cert.pem`);
      expect(a?.certPem).toBe(pem);
      expect(a?.certTarget).toBe(`${D}/archive/a.example/cert2.pem`);
      expect(a?.files).toEqual({
        cert: { path: `${D}/live/a.example/cert.pem`, exists: true },
        privkey: { path: `${D}/live/a.example/privkey.pem`, exists: true },
        chain: { path: `${D}/live/a.example/chain.pem`, exists: false },
        fullchain: { path: `${D}/live/a.example/fullchain.pem`, exists: false },
      });
      expect(a?.archive).toEqual([
        { version: 1, mtime: new Date(1_700_000_001_000).toISOString() },
        { version: 2, mtime: new Date(1_700_000_002_000).toISOString() },
      ]);
      expect(big?.files.cert).toEqual({ path: `${D}/live/big.example/cert.pem`, exists: false });
      expect(big?.certPem).toBeUndefined();
      // cut at 64 KiB, on a line boundary
      const bigSection = out.slice(out.indexOf('@@conf big.example'), out.indexOf('@@files big.example'));
      expect(bigSection.length).toBeLessThanOrEqual(65_536 + 200);
      expect(bigSection.length).toBeGreaterThan(60_000);
      expect(f.orphans).toEqual(['orphan.example']);
      expect(f.attempts.map((x) => [x.source, x.at.slice(0, 10), x.outcome])).toEqual([
        [`${L}/letsencrypt.log`, '2026-12-03', 'nothing-due'],
        [`${L}/letsencrypt.log.2`, '2026-12-02', 'nothing-due'],
      ]);
      // matched lines are cut at 500 characters
      expect(out.split('\n').filter((l) => l.startsWith('|2026-12-02 03:00:02'))[0]).toHaveLength(501);
      // the private key is never read
      expect(out).not.toContain('never read');
    });
  }

  it('systemctl show of both timers at once: one block per unit, its Id anywhere in it', () => {
    const out = [
      '@@init',
      'systemd-running',
      'systemd',
      '@@timers',
      'NextElapseUSecRealtime=Thu 2026-12-03 19:02:11 UTC',
      'LastTriggerUSec=Thu 2026-12-03 07:02:11 UTC',
      'Id=certbot.timer',
      'LoadState=loaded',
      'ActiveState=active',
      'UnitFileState=enabled',
      '',
      'NextElapseUSecRealtime=n/a',
      'LastTriggerUSec=n/a',
      'Id=snap.certbot.renew.timer',
      'LoadState=not-found',
      'ActiveState=inactive',
      'UnitFileState=',
      '@@cron',
      '/etc/cron.daily/renew:3:certbot renew -q',
      '/etc/cron.daily/renew:4:# letsencrypt too',
      '/etc/cron.weekly/notes:1:# letsencrypt mirror',
      '/etc/cron.d/certbot:17:0 */12 * * * root certbot -q renew',
      '@@end',
    ].join('\n');
    const f = parseCertHost(out);
    expect(f.timers).toEqual([
      { unit: 'certbot.timer', present: true, unitFileState: 'enabled', activeState: 'active', nextElapse: 'Thu 2026-12-03 19:02:11 UTC', lastTrigger: 'Thu 2026-12-03 07:02:11 UTC' },
      { unit: 'snap.certbot.renew.timer', present: false, activeState: 'inactive' },
    ]);
    // run-parts scripts are found by the same grep: those naming certbot are schedules, not cron lines
    expect(f.periodic).toEqual(['/etc/cron.daily/renew']);
    expect(f.cron.map((c) => c.file)).toEqual(['/etc/cron.d/certbot']);
  });
});
