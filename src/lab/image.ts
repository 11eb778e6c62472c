// The Debian image full hosts boot from: debootstrap once, customise, cache it under
// /var/cache/runbook-lab keyed by everything that built it (suite, mirror, packages, the
// customisation itself). A cached image is never modified: a different recipe is a
// different key, hence a different directory.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '../util/errors.js';
import { runOk } from './exec.js';
import { cacheRoot, stateRoot } from './instance.js';
import { removeTree, unmountUnder } from './mounts.js';
import { readState, withFileLock } from './state.js';
import { readAptSources } from './apt-proxy.js';
import type { AptSource } from './apt-proxy.js';
import { shq } from './fleet.js';
import { NOPASSWD_USER, PASSWD_USER, sudoersLines } from './users.js';

/** Debian releases full hosts run, by number (what AllStarLink documents) and codename */
export const RELEASES = { '12': 'bookworm', '13': 'trixie' } as const;
export type Release = keyof typeof RELEASES;
export const DEFAULT_RELEASE: Release = '12';

export function isRelease(value: string): value is Release {
  return Object.prototype.hasOwnProperty.call(RELEASES, value);
}

// cron: a stock Debian node runs it, and certbot's renewal falls back to /etc/cron.d without
// systemd. systemd + dbus: a real node's init (hosts boot with it as PID 1 on request), and
// firewalld's bus; without systemd as PID 1 they are just installed, as on a trixie host
// where firewalld pulled systemctl in.
const INCLUDE = ['openssh-server', 'sudo', 'python3', 'iproute2', 'ca-certificates', 'curl', 'procps'];
// installed by apt after debootstrap: debootstrap's own ordering breaks on trixie (systemd
// pre-depends on libsystemd-shared, unpacked in the same batch; cron needs systemd-sysusers)
const AFTER = ['cron', 'systemd', 'dbus'];
/** bump when the customisation changes in a way the key would not see */
const RECIPE = 4;

/**
 * A stand-in for Allmon3 (AllStarLink's dashboard) where the real package puts it: an Apache
 * conf that serves /allmon3/ on every site, the stock default site included. The check a
 * person makes after the playbook, the dashboard over HTTPS, then has a page to fetch.
 */
const ALLMON3_STAND_IN = `mkdir -p /usr/share/allmon3
cat > /usr/share/allmon3/index.html <<'EOF_HTML'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Allmon3</title></head>
<body><h1>Allmon3</h1><p>runbook lab stand-in for the AllStarLink Allmon3 dashboard.</p></body></html>
EOF_HTML
cat > /etc/apache2/conf-available/allmon3.conf <<'EOF_CONF'
Alias /allmon3 /usr/share/allmon3
<Directory /usr/share/allmon3>
    Require all granted
    DirectoryIndex index.html
</Directory>
EOF_CONF
a2enconf -q allmon3
`;

/**
 * firewalld as on AllStarLink's appliance: a zone of its own (\`allstarlink\`) as the default
 * zone, allowing ssh, http, https and IAX2. Which services the zone holds and that it holds
 * the host's interface is written at a host's first boot (see full.ts), so one layer serves
 * both the open zone and the "http/https not allowed yet" variant.
 */
const FIREWALLD_SETUP = `[ -e /usr/lib/firewalld/services/iax2.xml ] || cat > /etc/firewalld/services/iax2.xml <<'EOF_IAX'
<?xml version="1.0" encoding="utf-8"?>
<service><short>IAX2</short><description>Inter-Asterisk eXchange v2 (AllStarLink node links)</description><port protocol="udp" port="4569"/></service>
EOF_IAX
sed -i 's/^DefaultZone=.*/DefaultZone=allstarlink/' /etc/firewalld/firewalld.conf
`;

export interface LayerSpec {
  packages: readonly string[];
  /** shell run in the builder after the install (as root, inside the layer's root) */
  setup: string;
}

export const LAYERS = {
  apache: { packages: ['apache2', 'certbot', 'python3-certbot-apache'], setup: ALLMON3_STAND_IN },
  firewalld: { packages: ['apache2', 'certbot', 'python3-certbot-apache', 'firewalld'], setup: ALLMON3_STAND_IN + FIREWALLD_SETUP },
} as const satisfies Record<string, LayerSpec>;
export type LayerName = keyof typeof LAYERS;

export function isLayerName(name: string): name is LayerName {
  return Object.prototype.hasOwnProperty.call(LAYERS, name);
}

export interface ImageSpec {
  release: Release;
  suite: string;
  key: string;
  dir: string;
  mirror: string;
  sources: AptSource[];
}

/**
 * The machine's sources for the suite (and its -updates / -security). A machine of another
 * release has none for it: then the same mirror hosts with this suite's names (the apt proxy
 * lets hosts reach only the mirror hosts of this machine's sources), else Debian's default.
 */
export function imageSources(suite: string, all: readonly AptSource[] = readAptSources()): { mirror: string; sources: AptSource[] } {
  const mine = all.filter((s) => s.suites.some((x) => x === suite || x.startsWith(`${suite}-`) || x.startsWith(`${suite}/`)));
  const main = mine.find((s) => s.suites.includes(suite));
  if (main) return { mirror: main.uri, sources: mine.map((s) => ({ ...s, components: ['main'] })) };
  const isSecurity = (s: AptSource): boolean => s.suites.some((x) => x.endsWith('-security') || x.endsWith('/updates'));
  const mirror = all.find((s) => !isSecurity(s))?.uri ?? 'http://deb.debian.org/debian';
  const security = all.find(isSecurity)?.uri ?? 'http://deb.debian.org/debian-security';
  return {
    mirror,
    sources: [
      { uri: mirror, suites: [suite, `${suite}-updates`], components: ['main'] },
      { uri: security, suites: [`${suite}-security`], components: ['main'] },
    ],
  };
}

function sourcesList(sources: readonly AptSource[]): string {
  return sources.flatMap((s) => s.suites.map((suite) => `deb ${s.uri} ${suite} ${s.components.join(' ')}`)).join('\n') + '\n';
}

/** Image customisation, run on the machine against the debootstrapped tree. */
function customizeScript(dir: string, sources: readonly AptSource[], debCache: string): string {
  const I = shq(dir);
  const sudo = sudoersLines();
  return `set -e
cat > ${I}/etc/apt/sources.list <<'EOF_SOURCES'
${sourcesList(sources)}EOF_SOURCES
# the rest of the packages, with apt (straight to the mirror, as debootstrap did); no
# service may start on this machine meanwhile (policy-rc.d), .debs shared with debootstrap
printf '#!/bin/sh\nexit 101\n' > ${I}/usr/sbin/policy-rc.d
chmod 755 ${I}/usr/sbin/policy-rc.d
mount -t proc proc ${I}/proc
mount --bind ${shq(debCache)} ${I}/var/cache/apt/archives
trap 'umount ${I}/var/cache/apt/archives 2>/dev/null; umount ${I}/proc 2>/dev/null' EXIT
chroot ${I} apt-get update -q
chroot ${I} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${AFTER.join(' ')}
umount ${I}/var/cache/apt/archives
umount ${I}/proc
trap - EXIT
rm -f ${I}/usr/sbin/policy-rc.d ${I}/var/lib/apt/lists/*_Packages* ${I}/var/lib/apt/lists/*Release* ${I}/var/lib/apt/lists/*Sources*
# keep per-host overlay upper dirs small: no .deb cache, no pkgcache.bin, no translations
cat > ${I}/etc/apt/apt.conf.d/02runbook-lab-slim <<'EOF_SLIM'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
EOF_SLIM
# each host gets its own key at boot
rm -f ${I}/etc/ssh/ssh_host_*
mkdir -p ${I}/etc/ssh/sshd_config.d
cat > ${I}/etc/ssh/sshd_config.d/runbook-lab.conf <<'EOF_SSHD'
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
MaxStartups 200:30:400
UseDNS no
EOF_SSHD
chroot ${I} useradd -m -s /bin/bash -U ${NOPASSWD_USER}
chroot ${I} useradd -m -s /bin/bash -U ${PASSWD_USER}
# '*': no password login but not locked for key login; ops gets its password at boot
chroot ${I} usermod -p '*' ${NOPASSWD_USER}
chroot ${I} usermod -p '*' ${PASSWD_USER}
for u in ${NOPASSWD_USER} ${PASSWD_USER}; do install -d -m 700 ${I}/home/$u/.ssh; chroot ${I} chown $u:$u /home/$u/.ssh; done
cat > ${I}/etc/sudoers.d/runbook-lab-deploy <<'EOF_D'
${sudo.deploy}EOF_D
cat > ${I}/etc/sudoers.d/runbook-lab-ops <<'EOF_O'
${sudo.ops}EOF_O
chmod 440 ${I}/etc/sudoers.d/runbook-lab-deploy ${I}/etc/sudoers.d/runbook-lab-ops
chroot ${I} visudo -cqf /etc/sudoers.d/runbook-lab-deploy
chroot ${I} visudo -cqf /etc/sudoers.d/runbook-lab-ops
# names resolve through /etc/hosts only; stray lookups fail fast
echo "nameserver 127.0.0.1" > ${I}/etc/resolv.conf
chroot ${I} apt-get clean
rm -rf ${I}/var/lib/apt/lists/*_Packages* ${I}/var/log/*.log ${I}/var/cache/debconf/*-old
`;
}

export function imageSpec(release: Release = DEFAULT_RELEASE, env: NodeJS.ProcessEnv = process.env): ImageSpec {
  const suite = RELEASES[release];
  const { mirror, sources } = imageSources(suite);
  const script = customizeScript('/IMAGE', sources, '/DEBCACHE');
  const key = createHash('sha256').update(JSON.stringify({ RECIPE, SUITE: suite, mirror, INCLUDE, AFTER, variant: 'minbase', script })).digest('hex').slice(0, 16);
  return { release, suite, key, mirror, sources, dir: join(cacheRoot(env), 'images', `${suite}-${key}`) };
}

/** the image key is in it, and with it the release */
export function layerKey(image: ImageSpec, layer: LayerName): string {
  return createHash('sha256').update(JSON.stringify({ RECIPE, image: image.key, layer, spec: LAYERS[layer] })).digest('hex').slice(0, 16);
}

export function layerDir(image: ImageSpec, layer: LayerName, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'layers', `${layer}-${image.suite}-${layerKey(image, layer)}`);
}

/** Build the image unless cached. Concurrent builders of the same key wait for each other. */
export async function ensureImage(release: Release, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<ImageSpec> {
  const spec = imageSpec(release, env);
  const SUITE = spec.suite;
  if (existsSync(join(spec.dir, '.runbook-lab-image'))) {
    markUsed(join(spec.dir, '.runbook-lab-image'));
    return spec;
  }
  const root = join(cacheRoot(env), 'images');
  mkdirSync(root, { recursive: true, mode: 0o755 });
  await withFileLock(join(cacheRoot(env), 'locks', `image-${spec.key}`), `image build ${spec.key}`, async () => {
    if (existsSync(join(spec.dir, '.runbook-lab-image'))) return;
    // leftovers of an interrupted build
    for (const d of readdirSync(root)) if (d.startsWith(`${SUITE}-${spec.key}.tmp`)) await removeTree(join(root, d));
    const tmp = `${spec.dir}.tmp-${process.pid}`;
    const t = Date.now();
    log(`building the Debian ${SUITE} image from ${spec.mirror} (once; cached in ${spec.dir})`);
    try {
      const debCache = join(cacheRoot(env), 'debootstrap');
      mkdirSync(debCache, { recursive: true });
      await runOk(
        ['debootstrap', '--variant=minbase', `--cache-dir=${debCache}`, `--include=${INCLUDE.join(',')}`, SUITE, tmp, spec.mirror],
        `debootstrap ${SUITE} from ${spec.mirror}`,
        { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
      );
      await runOk(['/bin/sh', '-c', customizeScript(tmp, spec.sources, debCache)], 'customising the image', { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      writeFileSync(join(tmp, '.runbook-lab-image'), `${JSON.stringify({ key: spec.key, release: spec.release, suite: SUITE, mirror: spec.mirror, built: new Date().toISOString() })}\n`);
      await unmountUnder(tmp);
      renameSync(tmp, spec.dir);
    } catch (e) {
      await removeTree(tmp).catch(() => undefined);
      if (e instanceof EnvironmentError) throw e;
      throw new EnvironmentError(`lab: building the image failed: ${(e as Error).message}`);
    }
    log(`image built in ${((Date.now() - t) / 1000).toFixed(1)}s`);
    for (const p of await pruneCache(env)) log(`removed stale cache entry ${p}`);
  });
  return spec;
}

/** Image and layer directories some lab instance's full hosts boot on. */
function referencedLowerDirs(env: NodeJS.ProcessEnv): Set<string> {
  const used = new Set<string>();
  const root = stateRoot(env);
  if (!existsSync(root)) return used;
  for (const name of readdirSync(root)) {
    try {
      const s = readState(join(root, name));
      for (const h of s?.full ?? []) for (const d of h.lower.split(':')) used.add(d);
    } catch {
      // another instance's unreadable record: keep everything it might use
      return new Set(['*']);
    }
  }
  return used;
}

/** Cache entries unused this long are removed (other recipes, other runbook versions). */
export const CACHE_MAX_IDLE_MS = 14 * 24 * 3600 * 1000;

/** Record a use of a cached image or layer (its marker's mtime), for pruning by idleness. */
export function markUsed(marker: string): void {
  try {
    const now = new Date();
    utimesSync(marker, now, now);
  } catch {
    // a read-only cache still works; it is just never pruned by age
  }
}

function idleMs(marker: string, now: number): number {
  try {
    return now - statSync(marker).mtimeMs;
  } catch {
    // no marker: an unfinished or foreign directory
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Remove images and layers that no lab instance uses and nobody used for CACHE_MAX_IDLE_MS
 * (built by other recipes, older runbook versions, changed apt sources), and layers whose
 * image is gone, so the cache does not grow with every change. Idleness rather than "not
 * the current key": several checkouts of runbook on one machine (or two releases) each keep
 * their own image without rebuilding the other's over and over. Builds in progress
 * (`.tmp-PID`, `.build-PID`) are left to their builders.
 */
export async function pruneCache(env: NodeJS.ProcessEnv = process.env, now = Date.now()): Promise<string[]> {
  const used = referencedLowerDirs(env);
  if (used.has('*')) return [];
  const removed: string[] = [];
  const images = join(cacheRoot(env), 'images');
  const keptImages = new Set<string>();
  for (const entry of existsSync(images) ? readdirSync(images) : []) {
    const p = join(images, entry);
    if (entry.includes('.tmp-')) continue;
    const key = entry.slice(entry.lastIndexOf('-') + 1);
    if (used.has(p) || idleMs(join(p, '.runbook-lab-image'), now) < CACHE_MAX_IDLE_MS) {
      keptImages.add(key);
      continue;
    }
    await removeTree(p);
    removed.push(p);
  }
  const layers = join(cacheRoot(env), 'layers');
  for (const entry of existsSync(layers) ? readdirSync(layers) : []) {
    if (entry.includes('.build-')) continue;
    const p = join(layers, entry);
    const marker = join(p, '.runbook-lab-layer');
    let image = '';
    try {
      image = (JSON.parse(readFileSync(marker, 'utf8')) as { image?: string }).image ?? '';
    } catch {
      // no marker: unfinished or foreign
    }
    if (used.has(p)) continue;
    if (keptImages.has(image) && idleMs(marker, now) < CACHE_MAX_IDLE_MS) continue;
    await removeTree(p);
    removed.push(p);
  }
  return removed;
}
