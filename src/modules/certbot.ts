// certbot: "this host has a valid certificate for these domains". One probe reads every
// lineage, the renewal schedules and what holds port 80; the pure planner (certbot-plan.ts)
// decides; this file runs the plan, keeps Apache's configuration valid around the Apache
// plugin, and registers the certificate's paths, issuer, expiry and renewal schedule.
import { stderrExcerpt } from '../transport/errors.js';
import type { ExecResult } from '../transport/types.js';
import { combineFacts } from '../facts/combine.js';
import { configtestFact } from '../facts/apache.js';
import { step, type Plan, type PlanEnv } from './contract.js';
import { defineModule } from './runner.js';
import { writeFileCommand } from './util/file-ops.js';
import { boolSchema, listSchema, toBool, toList } from './util/args.js';
import { fileDiff } from '../util/diff.js';
import {
  activeSchedule,
  certbotFact,
  DEFAULT_CONFIG_DIR,
  describeSchedule,
  type CertbotHostState,
  type Lineage,
} from '../facts/certbot.js';
import {
  apacheMissing,
  daysLeft,
  findLineage,
  normaliseDomains,
  planCertbot,
  renewDryRunCommand,
  serverUrl,
  type CertbotPlugin,
  type CertbotWanted,
} from './certbot-plan.js';

export interface CertbotArgs {
  domains?: string[] | string;
  domain?: string;
  cert_name?: string;
  plugin?: CertbotPlugin;
  webroot_path?: string;
  email?: string;
  agree_tos?: boolean | string;
  eff_email?: boolean | string;
  server?: string;
  staging?: boolean | string;
  ca_bundle?: string;
  redirect?: boolean | string;
  hsts?: boolean | string;
  staple_ocsp?: boolean | string;
  free_port_80?: boolean | string;
  pre_hook?: string;
  post_hook?: string;
  min_days_left?: number;
  action?: 'ensure' | 'renew_dry_run' | 'info';
  config_dir?: string;
  challenge?: 'http-01' | 'dns-01';
  dns_rfc2136_credentials?: string;
  dns_propagation_seconds?: number | string;
}

/** Arguments → the planner's input (defaults applied, booleans and lists normalised). */
export function certbotWanted(args: CertbotArgs): CertbotWanted {
  const domains = normaliseDomains([...toList(args.domains), ...toList(args.domain)]);
  return {
    domains,
    certName: args.cert_name || undefined,
    plugin: args.plugin ?? 'standalone',
    webrootPath: args.webroot_path || undefined,
    email: args.email || undefined,
    agreeTos: toBool(args.agree_tos, false),
    effEmail: toBool(args.eff_email, false),
    server: serverUrl({ server: args.server || undefined, staging: toBool(args.staging, false) }),
    caBundle: args.ca_bundle || undefined,
    redirect: toBool(args.redirect, true),
    hsts: toBool(args.hsts, false),
    stapleOcsp: toBool(args.staple_ocsp, false),
    freePort80: toBool(args.free_port_80, true),
    preHook: args.pre_hook || undefined,
    postHook: args.post_hook || undefined,
    minDaysLeft: args.min_days_left ?? 30,
    challenge: args.challenge ?? 'http-01',
    dnsCredentials: args.dns_rfc2136_credentials || undefined,
    dnsPropagationSeconds: args.dns_propagation_seconds === undefined ? undefined : Number(args.dns_propagation_seconds),
  };
}

/** The values registered for a lineage (`register: cert` → `cert.fullchain`, ...). */
export function lineageData(l: Lineage, state: CertbotHostState, now: Date): Record<string, unknown> {
  const schedule = activeSchedule(state);
  return {
    cert_name: l.name,
    domains: l.domains,
    fullchain: l.fullchain,
    privkey: l.privkey,
    cert: l.cert,
    chain: l.chain,
    issuer: l.issuer ?? null,
    expiry: l.notAfter ? l.notAfter.toISOString() : null,
    days_left: daysLeft(l.notAfter, now) ?? null,
    server: l.server ?? null,
    renewal: describeSchedule(schedule),
    renewal_schedules: state.schedules.map((s) => describeSchedule(s)),
    renewal_hooks: l.preHook || l.postHook ? { pre: l.preHook ?? null, post: l.postHook ?? null } : null,
    apache_site: apacheSite(state, l.name) ?? null,
  };
}

/** The SSL site (in sites-available, as certbot names it: `000-default-le-ssl.conf`) serving a lineage. */
export function apacheSite(state: CertbotHostState, certName: string): string | undefined {
  const site = state.apache.sites.find((s) => s.certNames.includes(certName));
  return site ? site.file.replace('/sites-enabled/', '/sites-available/') : undefined;
}

/** --check on a host without the certificate yet: the paths certbot will create. */
export function plannedData(w: CertbotWanted, certName: string, state: CertbotHostState, configDir: string): Record<string, unknown> {
  const live = `${configDir}/live/${certName}`;
  return {
    cert_name: certName,
    domains: w.domains,
    fullchain: `${live}/fullchain.pem`,
    privkey: `${live}/privkey.pem`,
    cert: `${live}/cert.pem`,
    chain: `${live}/chain.pem`,
    issuer: null,
    expiry: null,
    days_left: null,
    server: w.server,
    renewal: describeSchedule(activeSchedule(state)),
    renewal_schedules: state.schedules.map((s) => describeSchedule(s)),
    renewal_hooks: null,
    apache_site: null,
  };
}

/** Warnings about renewal: none scheduled, or a cron entry with no cron daemon to run it. */
export function scheduleWarnings(state: CertbotHostState): string[] {
  const s = activeSchedule(state);
  if (!s) {
    return [
      'no renewal schedule found (no certbot.timer, no certbot entry in /etc/crontab or /etc/cron.*): ' +
        'certificates last 90 days; install certbot from the distribution or snap, which schedules renewals',
    ];
  }
  if (s.kind === 'cron' && !state.cronRunning) {
    return [`renewal is scheduled in ${s.where}, but no cron daemon is running on the host: start cron so renewals happen`];
  }
  return [];
}

/** Turn certbot's failure output into a message that says what to fix. */
export function explainCertbotFailure(output: string): string | undefined {
  if (/Could not bind TCP port 80|Problem binding to port 80/i.test(output)) {
    return 'certbot could not listen on port 80 (another program holds it): stop it or let runbook stop it with free_port_80: true';
  }
  if (/accountDoesNotExist|AttributeError: can't set attribute/i.test(output)) {
    return (
      'the ACME server does not know the account stored on this host (the server was reset, e.g. Pebble restarted): ' +
      'remove /etc/letsencrypt/accounts/<server> on the host and run again'
    );
  }
  // DNS-01 (RFC 2136 plugin): the update refused, or the TXT record not seen by the ACME server
  if (/Received response from server: (REFUSED|NOTAUTH|NOTZONE)|BADKEY|BADSIG/i.test(output)) {
    return "the DNS server refused certbot's TXT update: check dns_rfc2136_name, dns_rfc2136_secret and dns_rfc2136_algorithm, and that the key may update the zone (update-policy)";
  }
  if (/TXT record|_acme-challenge/i.test(output) && /Incorrect|No TXT|NXDOMAIN|not found/i.test(output)) {
    return "the ACME server did not find the TXT record at _acme-challenge: raise dns_propagation_seconds, and check that dns_rfc2136_server is the primary the zone's public nameservers follow";
  }
  if (/too many certificates|rateLimited/i.test(output)) {
    return "the ACME server refused because of a rate limit: wait, or try against staging first (acme_staging: true)";
  }
  if (/DNS problem|NXDOMAIN|no valid A records|could not resolve URL/i.test(output)) {
    return 'the ACME server could not resolve the domain: point its DNS A record at this host';
  }
  if (/Timeout during connect|Connection refused|unauthorized|Invalid response from/i.test(output)) {
    return "the ACME server could not fetch the HTTP-01 challenge from port 80 of the domain's address: check DNS, the firewall (80/tcp) and what answers on port 80";
  }
  if (/failed to authenticate some domains|Some challenges have failed/i.test(output)) {
    return "the ACME server could not validate the domain (HTTP-01 on port 80): check that its DNS points at this host and that port 80 is reachable from the internet";
  }
  if (/CERTIFICATE_VERIFY_FAILED|SSLError/i.test(output)) {
    return "certbot does not trust the ACME server's TLS certificate: give ca_bundle (acme_ca_bundle) for a private ACME server";
  }
  return undefined;
}

function failure(r: ExecResult, what: string): string {
  const out = `${r.stdout}\n${r.stderr}`;
  const hint = explainCertbotFailure(out);
  const excerpt = stderrExcerpt(r.stderr || r.stdout);
  return `${what} failed (exit code ${String(r.exitCode)})${hint ? `: ${hint}` : ''}${excerpt ? `\n${excerpt}` : ''}`;
}

export const certbotModule = defineModule<CertbotArgs, CertbotHostState>({
  name: 'certbot',
  aliases: ['acme_certbot'],
  usesFacts: false,
  schema: {
    type: 'object',
    properties: {
      domains: listSchema('names the certificate covers; the first is the certificate name unless cert_name is set'),
      domain: { type: 'string', description: 'one name (added to domains)' },
      cert_name: { type: 'string', description: "certbot's certificate (lineage) name; default: the first domain" },
      plugin: { type: 'string', enum: ['apache', 'standalone', 'webroot'], default: 'standalone', description: 'how the HTTP-01 challenge is answered and where the certificate is installed' },
      webroot_path: { type: 'string', description: 'webroot plugin: directory the web server serves for the domain' },
      email: { type: 'string', description: 'ACME account email (without it the account is registered without email)' },
      agree_tos: boolSchema("agree to the ACME server's terms of service (required to register non-interactively)", false),
      eff_email: boolSchema("answer to certbot's question about sharing the email with the EFF (--eff-email / --no-eff-email)", false),
      server: { type: 'string', description: "ACME directory URL; default Let's Encrypt production" },
      staging: boolSchema("use Let's Encrypt's staging directory (ignored when server is set)", false),
      ca_bundle: { type: 'string', description: 'path on the host of a CA bundle to trust for the ACME server (REQUESTS_CA_BUNDLE), for a private ACME server' },
      redirect: boolSchema('apache: redirect http to https', true),
      hsts: boolSchema('apache: add the Strict-Transport-Security header', false),
      staple_ocsp: boolSchema("apache: enable OCSP stapling (useless with Let's Encrypt since 2025: warned)", false),
      free_port_80: boolSchema('standalone: stop the service holding port 80 during issuance and every renewal (stored pre/post hooks); false: fail instead', true),
      pre_hook: { type: 'string', description: 'standalone: command run before issuance/renewal (default: stop what holds port 80)' },
      post_hook: { type: 'string', description: 'standalone: command run after issuance/renewal (default: start it again)' },
      min_days_left: { type: 'integer', minimum: 0, default: 30, description: 'renew when fewer days are left' },
      action: { type: 'string', enum: ['ensure', 'renew_dry_run', 'info'], default: 'ensure', description: 'ensure: have a valid certificate; renew_dry_run: test renewal; info: only report' },
      config_dir: { type: 'string', default: DEFAULT_CONFIG_DIR, description: "certbot's configuration directory" },
      challenge: {
        type: 'string',
        enum: ['http-01', 'dns-01'],
        default: 'http-01',
        description: "dns-01: certbot's RFC 2136 plugin answers the challenge (python3-certbot-dns-rfc2136); with plugin apache, Apache only installs the certificate; nothing on port 80 is stopped",
      },
      dns_rfc2136_credentials: { type: 'string', default: '/etc/letsencrypt/rfc2136.ini', description: 'dns-01: the root-only credentials file (certbot_rfc2136_credentials writes it)' },
      dns_propagation_seconds: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string' }], default: 10, description: 'dns-01: seconds to wait after the TXT update before validation' },
    },
    additionalProperties: false,
  },
  doc: {
    short: 'Ensure the host has a valid ACME certificate for some domains (certbot), test its renewal',
    description:
      'Declarative: reads the existing lineages (renewal files + the certificates themselves) in one probe. ' +
      'A lineage with the same names, from the same server, with at least min_days_left days left is left alone. ' +
      'A changed set of names is expanded/replaced under the same certificate name. The apache plugin checks ' +
      '`apache2ctl configtest` before and after. The standalone plugin stops what holds port 80 with pre/post hooks ' +
      'that certbot stores for renewals. The renewal schedule (systemd certbot.timer, else cron) is reported, never added twice.',
    returns: {
      cert_name: "certbot's certificate name",
      domains: 'names on the certificate',
      fullchain: 'path of the certificate chain (fullchain.pem)',
      privkey: 'path of the private key (privkey.pem)',
      cert: 'path of the leaf certificate',
      chain: 'path of the intermediate chain',
      issuer: "the certificate's issuer",
      expiry: 'notAfter, ISO 8601',
      days_left: 'whole days until expiry',
      server: 'the ACME directory the certificate came from',
      renewal: 'the renewal schedule that fires (`systemd timer certbot.timer`, `cron /etc/cron.d/certbot`, or `none`)',
      renewal_schedules: 'every schedule found',
      renewal_hooks: 'stored pre/post hooks',
      action: 'what was done: none, issue, expand, renew, reissue, install, update_hooks',
      dry_run: 'renew_dry_run: succeeded / failed',
    },
    example: [
      '- name: Certificate for the dashboard',
      '  certbot:',
      '    domains: ["{{ domain }}"]',
      '    plugin: apache',
      '    email: "{{ email }}"',
      '    agree_tos: true',
      '    hsts: true',
      '  register: cert',
      '- certbot:',
      '    domains: ["{{ domain }}"]',
      '    action: renew_dry_run',
    ].join('\n'),
    notes: [
      '`certbot renew --dry-run` ignores the server stored with the certificate, so renew_dry_run passes `--server` again, and `--no-random-sleep-on-renew`.',
      "Let's Encrypt ended OCSP in 2025: staple_ocsp only makes Apache log errors with its certificates.",
    ],
  },

  probe: (args) => certbotFact(args.config_dir ?? DEFAULT_CONFIG_DIR),
  plan: planCertbotTask,
});

/** The module's plan: renew_dry_run, info, or ensure (planCertbot decides, this says how it runs). */
export function planCertbotTask(args: CertbotArgs, state: CertbotHostState, env: PlanEnv): Plan {
  const w = certbotWanted(args);
  const action = args.action ?? 'ensure';
  if (action === 'renew_dry_run') return planRenewDryRun(w, state, env);
  if (action === 'info') {
    const l = findLineage(state, w);
    return {
      commands: [],
      msg: l ? `certificate ${l.name}: ${l.domains.join(', ')}` : 'no matching certificate',
      data: l ? lineageData(l, state, env.now) : { renewal: describeSchedule(activeSchedule(state)) },
      warnings: scheduleWarnings(state),
    };
  }

  const plan = planCertbot(state, w, env.now);
  const warnings = [...plan.warnings];
  if (plan.error) return { commands: [], failed: true, msg: plan.error, warnings };
  if (plan.action === 'none' && plan.lineage) {
    return { commands: [], msg: plan.reason, data: { ...lineageData(plan.lineage, state, env.now), action: 'none' }, warnings: [...warnings, ...scheduleWarnings(state)] };
  }

  const diff = plan.write ? [fileDiff(plan.write.path, plan.write.before, plan.write.after)] : undefined;
  // update_hooks rewrites the renewal file (atomically, as root); the other actions run certbot
  const commands = plan.write ? [writeFileCommand(plan.write.path, { mode: '0644', exists: true, tmpSuffix: env.tmpSuffix })] : plan.commands;
  if (env.check) {
    const planned = plan.lineage ? lineageData(plan.lineage, state, env.now) : plannedData(w, plan.certName, state, args.config_dir ?? DEFAULT_CONFIG_DIR);
    return {
      commands,
      changed: true,
      msg: plan.reason,
      data: { ...planned, action: plan.action, domains: w.domains, server: w.server, commands: plan.commands.map((c) => c.toDisplay()) },
      warnings,
      diff,
    };
  }
  if (!state.certbot) return { commands: [], failed: true, msg: 'certbot is not installed on the host: install it first (apt install certbot, or snap install --classic certbot)', warnings };

  const apache = w.plugin === 'apache';
  const run: Plan = {
    commands,
    stdin: plan.write?.after,
    timeoutMs: 900_000,
    // the plan's reason is worded for --check ("would request"); this is the real run
    progress: plan.commands.length > 0 ? `${plan.action}: ${plan.reason.replace(/\bwould request\b/g, 'requesting')}` : undefined,
    msg: plan.reason,
    warnings,
    after: (r) => {
      if (!r.ok) {
        const msg = failure(r, 'certbot');
        if (!apache) return { commands: [], failed: true, msg, warnings };
        return {
          commands: [],
          msg,
          next: step(configtestFact, (ct) => ({
            commands: [],
            failed: true,
            msg: ct && !ct.ok ? `${msg}\nApache's configuration is now broken (apache2ctl configtest):\n${ct.output}` : msg,
            warnings,
          })),
        };
      }
      const verify = (fresh: CertbotHostState): Plan => {
        const lineage = findLineage(fresh, { domains: w.domains, certName: plan.certName });
        if (!lineage) return { commands: [], changed: true, failed: true, msg: `certbot succeeded but no certificate named ${plan.certName} is on the host afterwards`, warnings };
        const all = [...warnings];
        if (apache) {
          const missing = apacheMissing(fresh, lineage, w);
          if (missing.length > 0) all.push(`certbot finished, but Apache still lacks ${missing.join(', ')} for ${lineage.name}: check the site's ServerName`);
        }
        return {
          commands: [],
          changed: true,
          msg: plan.reason.replace(/^would /, '').replace(/; would /, '; '),
          data: { ...lineageData(lineage, fresh, env.now), action: plan.action },
          warnings: [...all, ...scheduleWarnings(fresh)],
          diff,
        };
      };
      const fresh = certbotFact(args.config_dir ?? DEFAULT_CONFIG_DIR);
      if (!apache) return { commands: [], msg: plan.reason, next: step(fresh, verify) };
      const both = combineFacts([configtestFact, fresh] as const);
      return {
        commands: [],
        msg: plan.reason,
        next: step(both, ([ct, after]) => {
          if (ct && !ct.ok) return { commands: [], changed: true, failed: true, msg: `certbot finished, but Apache's configuration no longer passes apache2ctl configtest:\n${ct.output}`, warnings };
          return verify(after);
        }),
      };
    },
  };
  if (!apache) return run;
  return {
    commands: [],
    msg: plan.reason,
    next: step(configtestFact, (ct) => {
      if (ct?.ok) return run;
      return { commands: [], failed: true, msg: `Apache's configuration is broken, so certbot's Apache plugin cannot work: fix it first (apache2ctl configtest):\n${ct?.output ?? ''}`, warnings };
    }),
  };
}

function planRenewDryRun(w: CertbotWanted, state: CertbotHostState, env: PlanEnv): Plan {
  const lineage = findLineage(state, w);
  const certName = w.certName ?? lineage?.name;
  const cmd = renewDryRunCommand({ server: w.server, certName, caBundle: w.caBundle });
  const base = lineage ? lineageData(lineage, state, env.now) : {};
  if (env.check) return { commands: [], msg: `would run ${cmd.toDisplay()}`, data: { ...base, dry_run: 'skipped in check mode' } };
  if (!state.certbot) return { commands: [], failed: true, msg: 'certbot is not installed on the host: install it before testing renewal' };
  if (w.domains.length > 0 && !lineage) {
    return { commands: [], failed: true, msg: `no certificate for ${w.domains.join(', ')} on the host: nothing to renew (run certbot with action: ensure first)` };
  }
  return {
    commands: [cmd],
    timeoutMs: 600_000,
    progress: `certbot renew --dry-run${certName ? ` --cert-name ${certName}` : ''}`,
    msg: '',
    after: (r) => {
      const out = `${r.stdout}\n${r.stderr}`;
      const succeeded = r.ok && /all simulated renewals succeeded/i.test(out);
      return {
        commands: [],
        changed: false,
        failed: !succeeded,
        msg: succeeded ? `renewal dry run succeeded against ${w.server}` : failure(r, 'certbot renew --dry-run'),
        data: { ...base, dry_run: succeeded ? 'succeeded' : 'failed', dry_run_output: stderrExcerpt(out, 12, 1500) },
      };
    },
  };
}
