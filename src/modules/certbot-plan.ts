// The certbot module's brain, pure: wanted certificate + what the host reports → what to do.
// No I/O here, so every decision (ok / issue / expand / renew / install / hooks) is tested as
// data; certbot.ts only runs the probe, this planner, and the commands it returns.
import { sh, type ShellCommand } from '../transport/command.js';
import type { CertbotHostState, Lineage } from '../facts/certbot.js';

export const LE_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
export const LE_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

export type CertbotPlugin = 'apache' | 'standalone' | 'webroot';

/** The module's arguments after defaults (see certbot.ts for the schema). */
export interface CertbotWanted {
  domains: string[];
  certName?: string;
  plugin: CertbotPlugin;
  webrootPath?: string;
  email?: string;
  agreeTos: boolean;
  effEmail: boolean;
  server: string;
  caBundle?: string;
  redirect: boolean;
  hsts: boolean;
  stapleOcsp: boolean;
  freePort80: boolean;
  preHook?: string;
  postHook?: string;
  minDaysLeft: number;
  /** dns-01: certbot's RFC 2136 plugin answers the challenge (the plugin then only installs: apache) */
  challenge?: 'http-01' | 'dns-01';
  /** dns-01: the plugin's credentials file (certbot_rfc2136_credentials writes it) */
  dnsCredentials?: string;
  /** dns-01: seconds certbot waits after the TXT update before asking for validation */
  dnsPropagationSeconds?: number;
}

export type PlanAction = 'none' | 'issue' | 'expand' | 'renew' | 'reissue' | 'install' | 'update_hooks';

export interface CertbotPlan {
  action: PlanAction;
  /** one line for people: what will be done and why (or why nothing) */
  reason: string;
  certName: string;
  lineage?: Lineage;
  commands: ShellCommand[];
  /** update_hooks: the renewal file rewritten with the new hooks */
  write?: { path: string; before: string; after: string };
  warnings: string[];
  /** set when the plan cannot be carried out: fail with this, change nothing */
  error?: string;
  hooks?: { pre: string; post: string };
}

export function serverUrl(opts: { server?: string; staging?: boolean }): string {
  if (opts.server) return opts.server;
  return opts.staging ? LE_STAGING : LE_PRODUCTION;
}

export function isLetsEncrypt(server: string): boolean {
  return /^https:\/\/acme(-staging)?-v0\d\.api\.letsencrypt\.org\//.test(server);
}

function sameServer(a: string | undefined, b: string): boolean {
  if (a === undefined) return true; // very old renewal files have no server line
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

export function normaliseDomains(domains: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of domains) {
    const n = d.trim().toLowerCase().replace(/\.$/, '');
    if (n && !out.includes(n)) out.push(n);
  }
  return out;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

export function daysLeft(notAfter: Date | undefined, now: Date): number | undefined {
  if (!notAfter) return undefined;
  return Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
}

/** The lineage that holds (or should hold) the wanted certificate. */
export function findLineage(state: CertbotHostState, wanted: Pick<CertbotWanted, 'domains' | 'certName'>): Lineage | undefined {
  if (wanted.certName) return state.lineages.find((l) => l.name === wanted.certName);
  return (
    state.lineages.find((l) => sameSet(l.domains, wanted.domains)) ??
    state.lineages.find((l) => l.name === wanted.domains[0])
  );
}

/**
 * Hooks that free port 80 for the standalone plugin: the services holding it are stopped before
 * issuance/renewal and started after (stored in the renewal file by certbot, so renewals do
 * the same). `service NAME stop` works with systemd and with plain init scripts.
 */
export function port80Hooks(
  state: Pick<CertbotHostState, 'port80' | 'initScripts'>,
  wanted: Pick<CertbotWanted, 'freePort80' | 'preHook' | 'postHook'>,
): { pre?: string; post?: string; error?: string; services: string[] } {
  if (wanted.preHook !== undefined || wanted.postHook !== undefined) {
    return { pre: wanted.preHook, post: wanted.postHook, services: [] };
  }
  if (state.port80.length === 0) return { services: [] };
  const services: string[] = [];
  const unknown: string[] = [];
  for (const h of state.port80) {
    const name = h.unit ?? (state.initScripts.includes(h.process) ? h.process : undefined);
    if (name) {
      if (!services.includes(name)) services.push(name);
    } else if (!unknown.includes(`${h.process} (pid ${h.pid})`)) unknown.push(`${h.process} (pid ${h.pid})`);
  }
  const holders = [...services, ...unknown].join(', ');
  if (!wanted.freePort80) {
    return {
      services,
      error:
        `port 80 is in use by ${holders}, and certbot's standalone plugin must listen on it; ` +
        `free_port_80 is false, so runbook will not stop it. Stop that service, use the webroot ` +
        `or apache plugin, or set free_port_80: true to stop it during issuance and renewals`,
    };
  }
  if (unknown.length > 0) {
    return {
      services,
      error:
        `port 80 is in use by ${unknown.join(', ')}, which is not a service runbook can stop and start ` +
        `(no systemd unit or /etc/init.d script of that name). Stop it, or give pre_hook/post_hook commands that free port 80`,
    };
  }
  return {
    services,
    pre: services.map((s) => `service ${s} stop`).join(' && '),
    post: services.map((s) => `service ${s} start`).join('; '),
  };
}

/** The renewal file with pre_hook/post_hook replaced (placed right after `[renewalparams]`). */
export function rewriteHooks(config: string, hooks: { pre?: string; post?: string }): string {
  const lines = config.replace(/\n+$/, '').split('\n').filter((l) => !/^\s*(pre_hook|post_hook)\s*=/.test(l));
  const add = [
    ...(hooks.pre ? [`pre_hook = ${hooks.pre}`] : []),
    ...(hooks.post ? [`post_hook = ${hooks.post}`] : []),
  ];
  const at = lines.findIndex((l) => l.trim() === '[renewalparams]');
  if (at === -1) lines.push('[renewalparams]', ...add);
  else lines.splice(at + 1, 0, ...add);
  return lines.join('\n') + '\n';
}

function certbotCommand(w: CertbotWanted, certName: string, extra: string[], hooks: { pre?: string; post?: string }): ShellCommand {
  const args: string[] = [];
  if (w.challenge === 'dns-01') {
    // the RFC 2136 plugin answers the challenge; Apache (if any) only installs the certificate
    if (w.plugin === 'apache') {
      args.push('--authenticator', 'dns-rfc2136', '--installer', 'apache', w.redirect ? '--redirect' : '--no-redirect');
      if (w.hsts) args.push('--hsts');
      if (w.stapleOcsp) args.push('--staple-ocsp');
    } else args.push('certonly', '--authenticator', 'dns-rfc2136');
    args.push('--dns-rfc2136-credentials', w.dnsCredentials ?? '/etc/letsencrypt/rfc2136.ini', '--dns-rfc2136-propagation-seconds', String(w.dnsPropagationSeconds ?? 10));
  } else if (w.plugin === 'apache') {
    args.push('--apache', w.redirect ? '--redirect' : '--no-redirect');
    if (w.hsts) args.push('--hsts');
    if (w.stapleOcsp) args.push('--staple-ocsp');
  } else if (w.plugin === 'standalone') {
    args.push('certonly', '--standalone');
  } else {
    args.push('certonly', '--webroot', '-w', w.webrootPath ?? '/var/www/html');
  }
  args.push('--non-interactive', '--agree-tos');
  if (w.email) args.push('--email', w.email);
  else args.push('--register-unsafely-without-email');
  if (w.email) args.push(w.effEmail ? '--eff-email' : '--no-eff-email');
  args.push('--server', w.server, '--cert-name', certName);
  for (const d of w.domains) args.push('-d', d);
  if (hooks.pre) args.push('--pre-hook', hooks.pre);
  if (hooks.post) args.push('--post-hook', hooks.post);
  args.push(...extra);
  return withCaBundle(w.caBundle, sh`certbot ${args}`);
}

/** `REQUESTS_CA_BUNDLE=... certbot ...`: inside the command so it survives sudo's env reset. */
export function withCaBundle(caBundle: string | undefined, cmd: ShellCommand): ShellCommand {
  return caBundle ? sh`REQUESTS_CA_BUNDLE=${caBundle} ${cmd}` : cmd;
}

export function renewDryRunCommand(opts: { server: string; certName?: string; caBundle?: string }): ShellCommand {
  const args = ['renew', '--dry-run', '--no-random-sleep-on-renew', '--non-interactive', '--server', opts.server];
  if (opts.certName) args.push('--cert-name', opts.certName);
  return withCaBundle(opts.caBundle, sh`certbot ${args}`);
}

export function planCertbot(state: CertbotHostState, w: CertbotWanted, now: Date): CertbotPlan {
  const warnings: string[] = [];
  const lineage = findLineage(state, w);
  const certName = w.certName ?? lineage?.name ?? w.domains[0] ?? '';
  const base = { certName, lineage, commands: [] as ShellCommand[], warnings };

  if (w.domains.length === 0) return { ...base, action: 'none', reason: '', error: 'no domain given: set domains (or domain)' };
  if (w.stapleOcsp && isLetsEncrypt(w.server)) {
    warnings.push(
      "staple_ocsp does nothing useful with Let's Encrypt certificates: Let's Encrypt ended OCSP in 2025 " +
        '(no OCSP URL in new certificates), so Apache only logs stapling errors. Set staple_ocsp: false',
    );
  }

  let hooks: { pre?: string; post?: string } = {};
  // DNS-01 never needs port 80: nothing is stopped
  if (w.plugin === 'standalone' && w.challenge !== 'dns-01') {
    const h = port80Hooks(state, w);
    if (h.error) {
      const valid = lineage && sameSet(lineage.domains, w.domains) && (daysLeft(lineage.notAfter, now) ?? -1) >= w.minDaysLeft;
      if (!valid) return { ...base, action: 'none', reason: '', error: h.error };
      warnings.push(`the certificate is valid now, but renewals will fail: ${h.error}`);
    } else hooks = { pre: h.pre, post: h.post };
  }
  if (w.plugin === 'apache' && !state.apache.installed) {
    return { ...base, action: 'none', reason: '', error: 'Apache is not installed (apache2ctl not found): install apache2 and python3-certbot-apache, or use the standalone plugin' };
  }
  if (w.plugin === 'webroot' && !w.webrootPath) {
    return { ...base, action: 'none', reason: '', error: 'the webroot plugin needs webroot_path (the directory the web server serves for this domain)' };
  }
  if (!w.agreeTos) {
    return { ...base, action: 'none', reason: '', error: "certbot cannot register non-interactively without agreeing to the ACME server's terms: set agree_tos: true" };
  }

  const names = w.domains.join(', ');
  const mk = (action: PlanAction, reason: string, extra: string[], h = hooks): CertbotPlan => ({
    ...base,
    action,
    reason,
    commands: [certbotCommand(w, certName, extra, h)],
    hooks: h.pre || h.post ? { pre: h.pre ?? '', post: h.post ?? '' } : undefined,
  });

  if (!state.certbot) {
    // still planned (for --check before the install task ran), but the run will fail clearly
    warnings.push('certbot is not installed on the host');
  }
  if (!lineage) return mk('issue', `would request a certificate for ${names} from ${w.server}`, []);

  if (!sameSet(lineage.domains, w.domains)) {
    const superset = lineage.domains.every((d) => w.domains.includes(d));
    return mk(
      'expand',
      `certificate ${lineage.name} covers ${lineage.domains.join(', ') || 'no readable names'}; would ${superset ? 'expand' : 'replace'} it to ${names}`,
      superset ? ['--expand'] : [],
    );
  }
  if (!sameServer(lineage.server, w.server)) {
    const extra = ['--force-renewal'];
    // certbot refuses to replace a trusted certificate by a staging one without this flag
    if (w.server === LE_STAGING && lineage.server !== LE_STAGING) extra.push('--break-my-certs');
    return mk('reissue', `certificate ${lineage.name} comes from ${lineage.server}; would request it again from ${w.server}`, extra);
  }
  const left = daysLeft(lineage.notAfter, now);
  if (left === undefined) return mk('reissue', `certificate ${lineage.name} cannot be read (${lineage.cert}); would request it again`, ['--force-renewal']);
  if (left < w.minDaysLeft) {
    return mk('renew', `certificate ${lineage.name} expires in ${left} days (< ${w.minDaysLeft}); would renew it`, ['--force-renewal']);
  }

  if (w.plugin === 'apache') {
    const missing = apacheMissing(state, lineage, w);
    if (missing.length > 0) {
      return mk('install', `certificate ${lineage.name} is valid, but Apache lacks ${missing.join(', ')}; would install it`, ['--keep-until-expiring']);
    }
  }
  if (w.plugin === 'standalone' && (hooks.pre || hooks.post) && (lineage.preHook !== hooks.pre || lineage.postHook !== hooks.post)) {
    const after = rewriteHooks(lineage.config, hooks);
    return {
      ...base,
      action: 'update_hooks',
      reason: `certificate ${lineage.name} is valid; would store renewal hooks (pre: ${hooks.pre ?? '-'}, post: ${hooks.post ?? '-'})`,
      write: { path: lineage.renewalFile, before: lineage.config.replace(/\n*$/, '\n'), after },
      hooks: { pre: hooks.pre ?? '', post: hooks.post ?? '' },
    };
  }
  return { ...base, action: 'none', reason: `certificate ${lineage.name} for ${names} is valid for ${left} more days` };
}

/** What the Apache side of a valid lineage is missing (SSL site, HSTS, redirect, stapling). */
export function apacheMissing(state: CertbotHostState, lineage: Lineage, w: Pick<CertbotWanted, 'domains' | 'hsts' | 'redirect' | 'stapleOcsp'>): string[] {
  const sites = state.apache.sites.filter((s) => s.certNames.includes(lineage.name));
  const missing: string[] = [];
  if (sites.length === 0) return ['an enabled SSL site using it'];
  if (w.hsts && !sites.some((s) => s.hsts)) missing.push('the Strict-Transport-Security header');
  if (w.stapleOcsp && !sites.some((s) => s.stapling)) missing.push('OCSP stapling');
  if (w.redirect) {
    const redirected = state.apache.sites.flatMap((s) => s.redirects);
    const notRedirected = w.domains.filter((d) => !redirected.includes(d));
    if (notRedirected.length > 0) missing.push(`the http → https redirect for ${notRedirected.join(', ')}`);
  }
  return missing;
}
