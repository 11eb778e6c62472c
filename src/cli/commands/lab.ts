// `runbook lab up|down|status|inventory`: a local lab of throwaway SSH hosts and an ACME
// server (see src/lab/index.ts). Needs root on Linux.
import type { Command, CommandIo, ParsedArgs } from '../command.js';
import { EXIT } from '../../util/errors.js';
import { UsageError } from '../../util/errors.js';
import type { FullHostRequest } from '../../lab/index.js';
// ../../lab/index.js itself is imported where a subcommand needs it: only `runbook lab` pays
// for loading the lab's code, every other command starts without it.
import { DEFAULT_INSTANCE } from '../../lab/instance.js';

const HELP = `Usage:
  runbook lab up [--hosts N] [--full NAME,...] [--layer L] [--release 12|13] [--init systemd]
                 [--behind HUB] [--acme|--no-acme] [--dns] [--name NAME]
  runbook lab down [--name NAME]
  runbook lab status [--name NAME] [--json]
  runbook lab inventory [--out DIR] [--name NAME]

A lab of throwaway hosts on this machine (Linux, root), in network namespaces on a lab
bridge; nothing leaves the machine (no NAT, no forwarding).

  fleet hosts   N lightweight SSH hosts h001..hNNN (own address, host key, hostname;
                this machine's filesystem). Users: deploy (passwordless sudo) and ops
                (sudo asks for a password), visible only inside the lab hosts.
  full hosts    Debian 12 or 13 hosts with their own filesystem (cached debootstrap image
                per release + overlay root); apt works through a lab proxy to the Debian
                mirror only. --layer apache boots them with apache2, certbot,
                python3-certbot-apache and an Allmon3 stand-in page at /allmon3/;
                --layer firewalld adds firewalld (zone allstarlink: ssh http https iax2).
  ACME          Pebble with a lab CA; every full host's NAME.lab.test resolves for it.
  DNS           (--dns) BIND authoritative for lab.test on the bridge address, taking
                TSIG-signed updates (keys in 'lab status --json'); Pebble resolves
                through it, so DNS-01 works.
  sites         (--behind HUB) full hosts on HUB's own network, which this machine
                cannot reach: SSH goes through HUB (ProxyJump in the inventory).

Subcommands:
  up          bring the lab to the requested shape (running it twice is harmless)
  down        end the lab's processes (by PID), remove namespaces, mounts and bridge
  status      hosts, PIDs, ACME server
  inventory   write inventory.yml (Ansible YAML), known_hosts and ssh_config; print
              the ACME directory URL

Options:
  --name NAME       lab instance (default: ${DEFAULT_INSTANCE}); instances never collide
  --hosts N         number of fleet hosts (default: as many as run; a new lab gets 3,
                    or 0 when --full is given).
                    Fleet hosts share this machine's filesystem: a playbook that
                    installs packages there changes this machine. Use full hosts.
  --full LIST       comma-separated full host names, e.g. allmon,dms; NAME:LAYER
                    picks a host's layer (allmon:apache,dms:base)
  --layer L         package layer of the full hosts: base (default), apache or firewalld
  --release R       Debian release of the full hosts: 12 (bookworm, default) or 13 (trixie)
  --init I          PID 1 of the full hosts: lab-init (default; systemd on firewalld hosts)
                    or systemd (as on a node: systemctl, certbot.timer)
  --behind HUB      put the --full hosts on the site network of full host HUB
  --dns             start the lab's BIND (lab.test, TSIG updates) for DNS-01
  --acme            start the ACME server (default: on when full hosts are requested)
  --no-acme         do not start the ACME server
  --max-sessions N  sshd MaxSessions on fleet hosts (default 10, as OpenSSH)
  --out DIR         (inventory) write the files into DIR instead of the state dir
  --json            (status) machine-readable output

Examples:
  sudo runbook lab up --hosts 50
  sudo runbook lab up --full allmon,dms --layer apache
  sudo runbook lab up --full node13 --layer apache --release 13 --init systemd
  sudo runbook lab inventory --out ./lab && runbook apply playbooks/allmon3.yml -i lab/inventory.yml
  sudo runbook lab down
`;

function str(args: ParsedArgs, key: string): string | undefined {
  const v = args.values[key];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return typeof v === 'string' ? v : undefined;
}

function int(args: ParsedArgs, key: string, flag: string): number | undefined {
  const v = str(args, key);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`runbook lab: ${flag} expects a whole number, got '${v}'`);
  return Number(v);
}

function line(io: CommandIo, text: string): void {
  io.stdout.write(`${text}\n`);
}

async function up(args: ParsedArgs, io: CommandIo): Promise<number> {
  const layers = ['base', 'apache', 'firewalld'] as const;
  const isLayer = (l: string): l is (typeof layers)[number] => (layers as readonly string[]).includes(l);
  const layerArg = str(args, 'layer') ?? 'base';
  if (!isLayer(layerArg)) throw new UsageError(`runbook lab up: --layer must be one of ${layers.join(', ')}, got '${layerArg}'`);
  const release = str(args, 'release');
  if (release !== undefined && release !== '12' && release !== '13') throw new UsageError(`runbook lab up: --release must be 12 or 13, got '${release}'`);
  const init = str(args, 'init');
  if (init !== undefined && init !== 'systemd' && init !== 'lab-init') throw new UsageError(`runbook lab up: --init must be systemd or lab-init, got '${init}'`);
  const fullNames = (str(args, 'full') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // NAME or NAME:LAYER (per-host layer), e.g. --full allmon:apache,dms
  const full: FullHostRequest[] = fullNames.map((entry) => {
    const [name = '', layer = layerArg] = entry.split(':');
    if (!isLayer(layer)) throw new UsageError(`runbook lab up: layer of '${name}' must be one of ${layers.join(', ')}, got '${layer}'`);
    return { name, layer, release, init, behind: str(args, 'behind') };
  });
  if (args.values.acme === true && args.values['no-acme'] === true) throw new UsageError('runbook lab up: --acme and --no-acme exclude each other');
  const acme = args.values['no-acme'] === true ? false : args.values.acme === true || full.length > 0;
  const { labUp } = await import('../../lab/index.js');
  const t = Date.now();
  const info = await labUp({
    name: str(args, 'name'),
    fleet: int(args, 'hosts', '--hosts'),
    full,
    acme,
    dns: args.values.dns === true,
    maxSessions: int(args, 'max-sessions', '--max-sessions'),
    log: (l) => io.stderr.write(`lab: ${l}\n`),
    env: io.env,
  });
  line(io, `lab '${info.name}' up in ${((Date.now() - t) / 1000).toFixed(1)}s: ${info.hosts.length} hosts on ${info.subnet} (bridge ${info.bridge ?? ''})`);
  for (const h of info.hosts) line(io, `  ${h.name.padEnd(12)} ${h.address.padEnd(15)} ${h.kind}${h.domain ? `  ${h.domain}` : ''}`);
  line(io, `inventory:   ${info.inventoryFile}`);
  line(io, `known_hosts: ${info.knownHostsFile}`);
  line(io, `ssh:         ssh -F ${info.sshConfigFile ?? ''} ${info.hosts[0]?.name ?? 'HOST'}`);
  if (info.acme) line(io, `ACME:        ${info.acme.directoryUrl}`);
  if (info.dns) line(io, `DNS:         ${info.dns.server}:${info.dns.port} zone ${info.dns.zone}, update key ${info.dns.updateKey.name}`);
  for (const site of info.sites ?? []) line(io, `site:        ${site.hosts.join(', ')} behind ${site.hub} (${site.subnet}; jump host ${site.hubAddress})`);
  return EXIT.ok;
}

async function down(args: ParsedArgs, io: CommandIo): Promise<number> {
  const name = str(args, 'name') ?? DEFAULT_INSTANCE;
  const { labDown } = await import('../../lab/index.js');
  const r = await labDown({ name, env: io.env });
  line(io, r.removed ? `lab '${name}' is down` : `lab '${name}' was not up (nothing to do)`);
  return EXIT.ok;
}

async function status(args: ParsedArgs, io: CommandIo): Promise<number> {
  const { labStatus } = await import('../../lab/index.js');
  const s = labStatus({ name: str(args, 'name'), env: io.env });
  if (args.values.json === true) {
    line(io, JSON.stringify({ name: s.name, up: s.up, stateDir: s.stateDir, hosts: s.hosts, acme: s.acme, proxyPid: s.proxyPid, info: s.info }));
    return EXIT.ok;
  }
  if (!s.up && s.hosts.length === 0) {
    line(io, `lab '${s.name}' is not up`);
    return EXIT.ok;
  }
  line(io, `lab '${s.name}': ${s.up ? 'up' : 'bridge missing (run lab down, then lab up)'} — ${s.info?.subnet ?? ''} via ${s.info?.bridge ?? ''}, state ${s.stateDir}`);
  for (const h of s.hosts) {
    line(io, `  ${h.name.padEnd(12)} ${h.address.padEnd(15)} ${h.kind.padEnd(5)} ${h.running ? `running pid ${h.pid ?? '?'}` : 'stopped'}${h.layer ? `  layer ${h.layer}` : ''}${h.release ? `  debian ${h.release}` : ''}${h.kind === 'full' ? `  ${h.init ?? 'lab-init'}` : ''}`);
  }
  if (s.acme) {
    line(io, `  acme         ${s.acme.running ? `running (pebble ${s.acme.pebblePid ?? '?'}, challtestsrv ${s.acme.challtestsrvPid ?? '?'})` : 'stopped'}  ${s.acme.directoryUrl}`);
  }
  if (s.proxyPid) line(io, `  apt proxy    running pid ${s.proxyPid}`);
  return EXIT.ok;
}

async function inventory(args: ParsedArgs, io: CommandIo): Promise<number> {
  const out = str(args, 'out');
  const { labInventory } = await import('../../lab/index.js');
  const r = labInventory({ name: str(args, 'name'), outDir: out, env: io.env });
  line(io, `inventory:   ${r.inventory}`);
  line(io, `known_hosts: ${r.knownHosts}`);
  line(io, `ssh_config:  ${r.sshConfig}`);
  if (r.directoryUrl) line(io, `ACME directory: ${r.directoryUrl}`);
  return EXIT.ok;
}

export const labCommand: Command = {
  name: 'lab',
  help: HELP,
  options: {
    name: { type: 'string' },
    hosts: { type: 'string' },
    full: { type: 'string' },
    layer: { type: 'string' },
    release: { type: 'string' },
    init: { type: 'string' },
    behind: { type: 'string' },
    dns: { type: 'boolean' },
    acme: { type: 'boolean' },
    'no-acme': { type: 'boolean' },
    'max-sessions': { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const [sub, ...extra] = args.positionals;
    if (extra.length > 0) throw new UsageError(`runbook lab: unexpected argument '${extra[0] ?? ''}'. Run 'runbook lab --help'.`);
    switch (sub) {
      case 'up':
        return up(args, io);
      case 'down':
        return down(args, io);
      case 'status':
        return status(args, io);
      case 'inventory':
        return inventory(args, io);
      default:
        throw new UsageError(
          sub === undefined
            ? "runbook lab: missing subcommand (up, down, status, inventory). Run 'runbook lab --help'."
            : `runbook lab: unknown subcommand '${sub}' (expected up, down, status or inventory)`,
        );
    }
  },
};
