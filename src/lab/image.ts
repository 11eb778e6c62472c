// The Debian image full hosts boot from: debootstrap once, customise, cache it under
// /var/cache/runbook-lab keyed by everything that built it (suite, mirror, packages, the
// customisation itself). A cached image is never modified: a different recipe is a
// different key, hence a different directory.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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

export const SUITE = 'bookworm';
// cron: a stock Debian node runs it, and certbot's renewal falls back to /etc/cron.d without systemd
const INCLUDE = ['openssh-server', 'sudo', 'python3', 'iproute2', 'ca-certificates', 'curl', 'procps', 'cron'];
/** bump when the customisation changes in a way the key would not see */
const RECIPE = 3;

export const LAYERS = {
  apache: ['apache2', 'certbot', 'python3-certbot-apache'],
} as const satisfies Record<string, readonly string[]>;
export type LayerName = keyof typeof LAYERS;

export function isLayerName(name: string): name is LayerName {
  return Object.prototype.hasOwnProperty.call(LAYERS, name);
}

export interface ImageSpec {
  key: string;
  dir: string;
  mirror: string;
  sources: AptSource[];
}

/** The machine's sources for the suite (and its -updates / -security), or Debian's default mirror. */
export function imageSources(all: readonly AptSource[] = readAptSources()): { mirror: string; sources: AptSource[] } {
  const mine = all.filter((s) => s.suites.some((x) => x === SUITE || x.startsWith(`${SUITE}-`) || x.startsWith(`${SUITE}/`)));
  const main = mine.find((s) => s.suites.includes(SUITE));
  if (!main) {
    const mirror = 'http://deb.debian.org/debian';
    return { mirror, sources: [{ uri: mirror, suites: [SUITE, `${SUITE}-updates`], components: ['main'] }, { uri: 'http://deb.debian.org/debian-security', suites: [`${SUITE}-security`], components: ['main'] }] };
  }
  return { mirror: main.uri, sources: mine.map((s) => ({ ...s, components: ['main'] })) };
}

function sourcesList(sources: readonly AptSource[]): string {
  return sources.flatMap((s) => s.suites.map((suite) => `deb ${s.uri} ${suite} ${s.components.join(' ')}`)).join('\n') + '\n';
}

/** Image customisation, run on the machine against the debootstrapped tree. */
function customizeScript(dir: string, sources: readonly AptSource[]): string {
  const I = shq(dir);
  const sudo = sudoersLines();
  return `set -e
cat > ${I}/etc/apt/sources.list <<'EOF_SOURCES'
${sourcesList(sources)}EOF_SOURCES
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

export function imageSpec(env: NodeJS.ProcessEnv = process.env): ImageSpec {
  const { mirror, sources } = imageSources();
  const script = customizeScript('/IMAGE', sources);
  const key = createHash('sha256').update(JSON.stringify({ RECIPE, SUITE, mirror, INCLUDE, variant: 'minbase', script })).digest('hex').slice(0, 16);
  return { key, mirror, sources, dir: join(cacheRoot(env), 'images', `${SUITE}-${key}`) };
}

export function layerKey(image: ImageSpec, layer: LayerName): string {
  return createHash('sha256').update(JSON.stringify({ RECIPE, image: image.key, layer, packages: LAYERS[layer] })).digest('hex').slice(0, 16);
}

export function layerDir(image: ImageSpec, layer: LayerName, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'layers', `${layer}-${layerKey(image, layer)}`);
}

/** Build the image unless cached. Concurrent builders of the same key wait for each other. */
export async function ensureImage(log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<ImageSpec> {
  const spec = imageSpec(env);
  if (existsSync(join(spec.dir, '.runbook-lab-image'))) return spec;
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
      await runOk(['/bin/sh', '-c', customizeScript(tmp, spec.sources)], 'customising the image');
      writeFileSync(join(tmp, '.runbook-lab-image'), `${JSON.stringify({ key: spec.key, suite: SUITE, mirror: spec.mirror, built: new Date().toISOString() })}\n`);
      await unmountUnder(tmp);
      renameSync(tmp, spec.dir);
    } catch (e) {
      await removeTree(tmp).catch(() => undefined);
      if (e instanceof EnvironmentError) throw e;
      throw new EnvironmentError(`lab: building the image failed: ${(e as Error).message}`);
    }
    log(`image built in ${((Date.now() - t) / 1000).toFixed(1)}s`);
    for (const p of await pruneCache(spec, env)) log(`removed stale cache entry ${p}`);
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

/**
 * Remove images built by other recipes (older runbook versions, changed apt sources) and the
 * layers built on them, when no lab instance uses them, so the cache does not grow with
 * every change. Layers of the current image are kept. Builds in progress (`.tmp-PID`,
 * `.build-PID`) are left to their builders.
 */
export async function pruneCache(current: ImageSpec, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const used = referencedLowerDirs(env);
  if (used.has('*')) return [];
  const removed: string[] = [];
  const stale = async (p: string): Promise<void> => {
    if (used.has(p)) return;
    await removeTree(p);
    removed.push(p);
  };
  const images = join(cacheRoot(env), 'images');
  for (const entry of existsSync(images) ? readdirSync(images) : []) {
    if (entry.includes('.tmp-') || join(images, entry) === current.dir) continue;
    await stale(join(images, entry));
  }
  const layers = join(cacheRoot(env), 'layers');
  for (const entry of existsSync(layers) ? readdirSync(layers) : []) {
    if (entry.includes('.build-')) continue;
    let image = '';
    try {
      image = (JSON.parse(readFileSync(join(layers, entry, '.runbook-lab-layer'), 'utf8')) as { image?: string }).image ?? '';
    } catch {
      // no marker: an unfinished or foreign directory
    }
    if (image !== current.key) await stale(join(layers, entry));
  }
  return removed;
}
