// `--list-hosts`, `--list-tasks`, `--list-tags`: what a run would touch, from the same plan the
// engine runs (src/engine/plan.ts), so --limit, --tags/--skip-tags, --start-at-task and a
// templated `hosts:` give exactly the hosts and tasks a run would. Printed the way
// ansible-playbook prints them, so scripts and habits written for it keep working:
//
//   playbook: site.yml
//
//     play #1 (web): Configure web	TAGS: [deploy]
//       pattern: ['web']
//       hosts (2):
//         w1
//         w2
//       tasks:
//         Install nginx	TAGS: [deploy, pkg]
//         TASK TAGS: [deploy, pkg]
//
// Added to Ansible's layout (a line it does not print, after the host list): the `serial:`
// batches when a play has more than one, since the order of a rollout is what a preview is for.
import type { RunPlan } from '../engine/plan.js';

export interface ListWhat {
  hosts: boolean;
  tasks: boolean;
  tags: boolean;
}

/** Ansible prints a play's pattern as a Python list (`['web', 'db']`). */
function pyList(items: readonly string[]): string {
  return `[${items.map((i) => `'${i.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}

/**
 * The listing of one run. `files` names the playbooks in order with their play counts (several
 * playbooks on one command line are listed one after the other, plays numbered per playbook,
 * as ansible-playbook does).
 */
export function formatListing(plan: RunPlan, files: ReadonlyArray<{ file: string; plays: number }>, what: ListWhat): string {
  const out: string[] = [];
  let next = 0;
  for (const { file, plays } of files) {
    out.push('', `playbook: ${file}`);
    for (let i = 0; i < plays; i++) {
      const p = plan.plays[next++];
      if (p === undefined) break;
      const patterns = p.pattern.split(',').map((s) => s.trim()).filter(Boolean);
      out.push('', `  play #${i + 1} (${patterns.join(',')}): ${p.play.name}\tTAGS: [${[...new Set(p.play.tags)].join(',')}]`);
      if (what.hosts) {
        out.push(`    pattern: ${pyList(patterns)}`, `    hosts (${p.hosts.length}):`);
        for (const h of p.hosts) out.push(`      ${h}`);
        if (p.batches.length > 1) out.push(`    serial batches (${p.batches.length}): ${p.batches.map((b) => `[${b.join(', ')}]`).join(' ')}`);
      }
      if (what.tasks || what.tags) {
        // the tasks a run would start: selected by --tags/--skip-tags, not before --start-at-task;
        // `meta:` acts on the run and is not a task here (Ansible leaves it out too)
        const tasks = p.tasks.filter((t) => t.selected && t.task.module !== 'meta');
        if (what.tasks) {
          out.push('    tasks:');
          for (const t of tasks) out.push(`      ${t.task.name ?? t.task.module}\tTAGS: [${[...new Set(t.tags)].sort().join(', ')}]`);
        }
        if (what.tags) {
          const all = new Set(p.play.tags);
          for (const t of tasks) for (const tag of t.tags) all.add(tag);
          out.push(`      TASK TAGS: [${[...all].sort().join(', ')}]`);
        }
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** `runbook run PATTERN --list-hosts`: the hosts the pattern (and --limit) selects, as `ansible` prints them. */
export function formatAdhocHosts(hosts: readonly string[]): string {
  return [`  hosts (${hosts.length}):`, ...hosts.map((h) => `    ${h}`)].join('\n') + '\n';
}
