// The certbot host fact as data: real output of the host script (a Debian 12 lab host with
// certbot 2.1, an Apache lineage, a corrupt conf, a conf whose PEM is gone, an orphan live dir,
// a second schedule in root's crontab and certbot's own log of three runs), the same files on
// a systemd host, and a host without certbot, each parsed to what the report builds on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
