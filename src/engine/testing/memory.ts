// In-memory hosts for engine tests: a Transport whose commands are answered by a script
// (per host, per command text), recording every call in order, with delays, unreachable
// hosts and AbortSignal support. Real modules (command, shell, debug, set_fact, ...) run
// against it unchanged; only the network and the remote shell are simulated.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HostFacts } from '../../facts/types.js';
import type { Inventory, InventoryGroup, InventoryHost } from '../../inventory/types.js';
import { loadPlaybook } from '../../playbook/load.js';
import { testModules } from './modules.js';
import type { Playbook } from '../../playbook/types.js';
import type { ShellCommand } from '../../transport/command.js';
import { maskSecrets } from '../../transport/command.js';
import { UnreachableError } from '../../transport/errors.js';
import type { ExecOptions, ExecResult, Transport } from '../../transport/types.js';

export interface Reply {
  exitCode?: number | null;
  stdout?: string;
  stderr?: string;
  /** ms before the command ends */
  delayMs?: number;
  /** the connection drops during this command */
  lost?: boolean;
}

export interface CallRecord {
  host: string;
  command: string;
  /** order among all hosts */
  seq: number;
  /** order among all hosts when the command ended */
  endSeq?: number;
  become?: string;
  env?: Record<string, string>;
  aborted?: boolean;
}

export interface Fleet {
  calls: CallRecord[];
  connects: string[];
  closed: string[];
  factory: (host: InventoryHost) => Transport;
  /** how many commands were running at the same time, at most */
  maxConcurrent: number;
}

export interface FleetOptions {
  /** answer a command; default: exit 0, no output */
  reply?: (host: string, command: string, options: ExecOptions) => Reply | undefined;
  unreachable?: readonly string[];
  /** ms connect() takes */
  connectDelayMs?: number;
}

export function memoryFleet(options: FleetOptions = {}): Fleet {
  let seq = 0;
  let running = 0;
  const fleet: Fleet = {
    calls: [],
    connects: [],
    closed: [],
    maxConcurrent: 0,
    factory: (inv) => {
      const host = inv.name;
      const transport: Transport = {
        host,
        async connect() {
          if (options.connectDelayMs) await new Promise((r) => setTimeout(r, options.connectDelayMs));
          if (options.unreachable?.includes(host)) {
            throw new UnreachableError(host, 'refused', `${host}: connection refused (10.0.0.1:22): is sshd running?`);
          }
          fleet.connects.push(host);
        },
        async exec(command: ShellCommand, o: ExecOptions = {}): Promise<ExecResult> {
          const text = command.toShell();
          const rec: CallRecord = {
            host,
            command: text,
            seq: seq++,
            ...(o.become ? { become: o.become.user ?? 'root' } : {}),
            ...(o.env && Object.keys(o.env).length ? { env: o.env } : {}),
          };
          fleet.calls.push(rec);
          const reply = options.reply?.(host, text, o) ?? {};
          running++;
          fleet.maxConcurrent = Math.max(fleet.maxConcurrent, running);
          const t0 = Date.now();
          try {
            if (reply.delayMs) {
              await new Promise<void>((resolve) => {
                const t = setTimeout(resolve, reply.delayMs);
                o.signal?.addEventListener(
                  'abort',
                  () => {
                    clearTimeout(t);
                    rec.aborted = true;
                    resolve();
                  },
                  { once: true },
                );
              });
            }
          } finally {
            running--;
            rec.endSeq = seq++;
          }
          if (reply.lost) throw new UnreachableError(host, 'connection-lost', `${host}: connection lost during the command`);
          const secrets = [...(o.secrets ?? []), ...command.secrets()];
          const stdout = maskSecrets(reply.stdout ?? '', secrets);
          const stderr = maskSecrets(reply.stderr ?? '', secrets);
          if (stdout) o.onOutput?.('stdout', stdout);
          if (stderr) o.onOutput?.('stderr', stderr);
          const exitCode = rec.aborted ? null : reply.exitCode === undefined ? 0 : reply.exitCode;
          return {
            host,
            command: command.toDisplay(),
            exitCode,
            signal: rec.aborted ? 'TERM' : null,
            stdout,
            stderr,
            truncated: false,
            timedOut: false,
            durationMs: Date.now() - t0,
            ok: exitCode === 0,
          };
        },
        put() {
          return Promise.resolve();
        },
        get() {
          return Promise.resolve(Buffer.from(''));
        },
        close() {
          fleet.closed.push(host);
          return Promise.resolve();
        },
      };
      return transport;
    },
  };
  return fleet;
}

/** An inventory from `{ group: [hosts] }`, every host also in `all`. */
export function memoryInventory(groups: Record<string, string[]>, hostVars: Record<string, Record<string, unknown>> = {}): Inventory {
  const hosts = new Map<string, InventoryHost>();
  const gmap = new Map<string, InventoryGroup>();
  const all: InventoryGroup = { name: 'all', hosts: [], children: [], vars: {} };
  gmap.set('all', all);
  for (const [g, members] of Object.entries(groups)) {
    if (g !== 'all') {
      gmap.set(g, { name: g, hosts: [...members], children: [], vars: {} });
      all.children.push(g);
    }
    for (const m of members) {
      const h = hosts.get(m) ?? { name: m, vars: { ...(hostVars[m] ?? {}) }, groups: ['all'] };
      if (g !== 'all' && !h.groups.includes(g)) h.groups.push(g);
      hosts.set(m, h);
    }
  }
  return { source: '<memory>', hosts, groups: gmap };
}

export const FAKE_FACTS: HostFacts = {
  system: 'Linux',
  kernel: '6.1.0',
  architecture: 'x86_64',
  hostname: 'fake',
  fqdn: 'fake.example',
  distribution: 'Debian',
  distributionVersion: '12',
  distributionRelease: 'bookworm',
  osFamily: 'Debian',
  serviceMgr: 'systemd',
  pkgMgr: 'apt',
  ipv4: ['10.0.0.1'],
  ipv6: [],
  user: 'deploy',
  pythonAvailable: true,
};

/** Write a playbook to a fresh temp dir and load it (validation included). */
export async function playbookFrom(yaml: string, files: Record<string, string> = {}): Promise<{ playbook: Playbook; dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'runbook-engine-'));
  const file = join(dir, 'site.yml');
  await writeFile(file, yaml);
  for (const [name, content] of Object.entries(files)) {
    // `roles/web/tasks/main.yml`: folders are made as needed
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  const r = await loadPlaybook(file, { modules: testModules });
  if (!r.ok) throw new Error(`test playbook invalid: ${JSON.stringify(r.errors.map((e) => `${e.location.line}: ${e.message}`))}`);
  return { playbook: r.playbook, dir, file };
}

/**
 * RunOptions.retry for tests: records the hosts the engine hands over (the CLI writes them to
 * the retry file) and answers with `path` as the file written when there are any.
 */
export function retryRecorder(path = 'site.retry'): { retry: (hosts: readonly string[]) => Promise<string | undefined>; hosts: () => readonly string[] | undefined } {
  let got: readonly string[] | undefined;
  return {
    retry: (hosts) => {
      got = [...hosts];
      return Promise.resolve(hosts.length > 0 ? path : undefined);
    },
    hosts: () => got,
  };
}
