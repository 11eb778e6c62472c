// Where runbook's controller CPU goes, by module. Each of the fleet benchmark's ten tasks
// (bench/fleet.yml) is repeated ten times on every host of a running lab, each repeat on its own
// path; a baseline runs ten `command: "true"` tasks instead (the engine, the transport and the
// reporting of a task that does nothing). The controller CPU above the baseline, per task·host,
// is what the module itself costs: its planning and command text, its output's parsing and its
// result. Medians over the rounds, each kind once per round (interleaved).
//
//   npx tsx bench/per-module.ts --inventory INVENTORY [--rounds 3] [--out FILE.md]
//
// INVENTORY: a lab's (`runbook lab inventory --out DIR --name NAME`); forks = its host count.
// Run `npm run build` first. Every run starts from a fresh directory per host (a first run).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH, '..');

/** One task of bench/fleet.yml as YAML lines, for repeat `i` (its own path under the host's directory). */
export const KINDS: Record<string, (i: number) => string> = {
  'command (baseline)': (i) => `- name: t${i}\n  command: "true"\n  changed_when: false`,
  'file state=directory': (i) => `- name: t${i}\n  file: { path: "{{ host_dir }}/d${i}", state: directory, mode: "0755" }`,
  'copy content=': (i) => `- name: t${i}\n  copy: { dest: "{{ host_dir }}/c${i}", content: "managed by the fleet benchmark\\n" }`,
  template: (i) => `- name: t${i}\n  template: { src: ${join(BENCH, 'templates', 'app.conf.j2')}, dest: "{{ host_dir }}/t${i}" }`,
  'shell creates=': (i) => `- name: t${i}\n  shell:\n    cmd: "echo x > {{ host_dir }}/k${i}"\n    creates: "{{ host_dir }}/k${i}"`,
  lineinfile: (i) => `- name: t${i}\n  lineinfile: { path: "{{ host_dir }}/seed${i}", line: "tuned = yes" }`,
  'command + register': (i) => `- name: t${i}\n  command: "cat {{ host_dir }}/seed${i}"\n  register: out${i}\n  changed_when: false`,
  stat: (i) => `- name: t${i}\n  stat: { path: "{{ host_dir }}/seed${i}" }\n  register: st${i}`,
  'file mode=': (i) => `- name: t${i}\n  file: { path: "{{ host_dir }}/motd${i}", state: file, mode: "0640" }`,
  'command + become': (i) => `- name: t${i}\n  command: id -u\n  become: true\n  register: rid\n  changed_when: false\n  failed_when: rid.stdout != "0"`,
  'file state=absent': (i) => `- name: t${i}\n  file: { path: "{{ host_dir }}/s${i}", state: absent }`,
};
const REPEATS = 10;
export const BASELINE = 'command (baseline)';

/** The play: the host's directory and the paths the repeats work on, then ten repeats of one kind. */
export function playbook(kind: (i: number) => string): string {
  const ids = Array.from({ length: REPEATS }, (_, i) => i);
  const setup = [
    '- name: the host directory',
    '  file: { path: "{{ host_dir }}", state: directory, mode: "0755" }',
    '- name: the paths the tasks work on',
    `  shell: "cd {{ host_dir }} && for i in ${ids.join(' ')}; do printf 'alpha\\\\nbeta\\\\n' > seed$i; touch motd$i; mkdir -p s$i; done"`,
    '  changed_when: false',
  ];
  const tasks = [...setup, ...ids.map(kind)].map((t) => t.replace(/^/gm, '    ')).join('\n');
  // the variables bench/fleet.yml's template reads
  const vars = ['app_port: 8080', 'app_peers: [alpha, beta, gamma]', 'host_dir: "{{ bench_root }}/{{ inventory_hostname }}"'].map((v) => `    ${v}`).join('\n');
  return `- name: per-module cost\n  hosts: all\n  gather_facts: false\n  vars:\n${vars}\n  tasks:\n${tasks}\n`;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

function main(): number {
  const { values } = parseArgs({ options: { inventory: { type: 'string' }, rounds: { type: 'string', default: '3' }, out: { type: 'string' } } });
  if (values.inventory === undefined) {
    process.stderr.write('usage: npx tsx bench/per-module.ts --inventory INVENTORY [--rounds 3] [--out FILE.md]\n');
    return 1;
  }
  const inventory = resolve(values.inventory);
  const hosts = Object.keys(hostsOf(parse(readFileSync(inventory, 'utf8')) as unknown)).length;
  const rounds = Number(values.rounds);
  const tmp = mkdtempSync(join(tmpdir(), 'runbook-bench-per-module-'));
  const cpu = new Map<string, number[]>(Object.keys(KINDS).map((k) => [k, []]));
  try {
    const books = new Map(Object.keys(KINDS).map((k, n) => [k, join(tmp, `kind-${n}.yml`)] as const));
    for (const [k, file] of books) writeFileSync(file, playbook(KINDS[k] as (i: number) => string));
    for (let r = 0; r < rounds; r++) {
      for (const [k, file] of books) {
        const root = mkdtempSync(join(tmp, 'run-'));
        const timeFile = join(tmp, 'time');
        const run = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%U %S', 'node', join(REPO, 'bin', 'runbook.js'), 'apply', file, '-i', inventory, '--json', '--forks', String(hosts), '-e', `bench_root=${root}`], {
          cwd: REPO,
          encoding: 'utf8',
          timeout: 600_000,
          maxBuffer: 1 << 30,
        });
        if (run.status !== 0) throw new Error(`${k}: runbook exited ${String(run.status)} (run it with ${file} kept to see why): ${(run.stderr.trim() || run.stdout.trim()).split('\n').pop()?.slice(0, 400) ?? ''}`);
        const [u, s] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
        cpu.get(k)!.push((u ?? NaN) + (s ?? NaN));
        rmSync(root, { recursive: true, force: true });
        process.stderr.write(`[per-module] round ${r + 1}/${rounds} ${k}: ${((u ?? 0) + (s ?? 0)).toFixed(2)} CPU-s\n`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const base = median(cpu.get(BASELINE)!);
  const perTask = hosts * REPEATS;
  const lines = [
    `# runbook's controller CPU by module: ${hosts} hosts, each kind ${REPEATS}x per host, ${rounds} interleaved rounds`,
    '',
    `Baseline: ${REPEATS} \`command: "true"\` tasks, ${base.toFixed(2)} CPU-s (median). Each row: the same run with ${REPEATS} tasks of that kind instead; "above" is the difference per task·host.`,
    '',
    '| task (bench/fleet.yml) | CPU s median [min–max] | ms per task·host above the baseline |',
    '|---|---:|---:|',
    ...[...cpu].map(([k, xs]) => `| ${k} | ${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}] | ${k === BASELINE ? '(baseline)' : (((median(xs) - base) * 1000) / perTask).toFixed(3)} |`),
    '',
  ];
  const text = lines.join('\n');
  process.stdout.write(text);
  if (values.out) writeFileSync(values.out, text);
  return 0;
}

/** The hosts of a YAML inventory, every group's (the lab's: all → children → fleet → hosts). */
function hostsOf(node: unknown, out: Record<string, true> = {}): Record<string, true> {
  if (node === null || typeof node !== 'object') return out;
  const n = node as Record<string, unknown>;
  if (n.hosts && typeof n.hosts === 'object') for (const h of Object.keys(n.hosts)) out[h] = true;
  if (n.children && typeof n.children === 'object') for (const c of Object.values(n.children)) hostsOf(c, out);
  if (n.all) hostsOf(n.all, out);
  return out;
}

// run as a script (a test imports the playbooks only)
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
