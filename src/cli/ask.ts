// Asking before running. `--ask`: one question after everything is validated and planned,
// with what the run will touch (hosts × tasks per play, from the engine's own plan).
// `--step` (Ansible's): one question before each task, y/n/c. Neither ever waits where nobody
// can answer: without a terminal, or with CI set, the command stops before anything runs.
import type { TaskRef } from '../engine/events.js';
import type { RunPlan } from '../engine/plan.js';
import type { CommandIo } from './command.js';
import { askLine, whyNoAnswer } from './prompt.js';
import { UsageError } from '../util/errors.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function sample(hosts: readonly string[], n = 3): string {
  return hosts.length > n ? `${hosts.slice(0, n).join(', ')} +${hosts.length - n}` : hosts.join(', ');
}

/** What `--ask` shows: per play its hosts and the tasks each host will go through. */
export function runSummary(plan: RunPlan, o: { command: string; check: boolean }): string {
  const lines: string[] = [];
  let steps = 0;
  let tasks = 0;
  for (const p of plan.plays) {
    const n = p.tasks.filter((t) => t.selected && t.task.module !== 'meta').length;
    tasks += n;
    steps += n * p.hosts.length;
    const batches = p.batches.length > 1 ? `, in ${plural(p.batches.length, 'batch')} of ${p.batches[0]?.length ?? 0}` : '';
    lines.push(`  play #${p.index + 1} ${p.play.name}: ${plural(p.hosts.length, 'host')}${p.hosts.length > 0 ? ` (${sample(p.hosts)})` : ''} × ${plural(n, 'task')}${batches}`);
  }
  const head = `${o.command}: ${plural(plan.plays.length, 'play')} on ${plural(plan.hosts.length, 'host')}, ${plural(tasks, 'task')}, ${steps} task runs in all`;
  const mode = o.check ? '  check mode: nothing will change' : '  this changes the hosts (--check to preview)';
  return [head, ...lines, mode].join('\n') + '\n';
}

/** `--ask`: true to go on. Refuses (UsageError) where nobody can answer. */
export async function confirmRun(io: CommandIo, plan: RunPlan, o: { command: string; check: boolean }): Promise<boolean> {
  const why = whyNoAnswer(io);
  if (why !== undefined) throw new UsageError(`runbook ${o.command}: --ask needs a person at a terminal to answer (${why}); nothing was run. Leave out --ask to run without asking.`);
  io.stderr.write(runSummary(plan, { command: `runbook ${o.command}`, check: o.check }));
  const answer = await askLine(io, 'Run it? [y/N] ', `runbook ${o.command}: --ask`);
  return /^y(es)?$/i.test(answer);
}

/** `--step` without anyone to answer: an error before anything runs. */
export function checkStepPossible(io: CommandIo, command: string): void {
  const why = whyNoAnswer(io);
  if (why !== undefined) throw new UsageError(`runbook ${command}: --step asks before each task and needs a person at a terminal (${why}); nothing was run.`);
}

/**
 * `--step`'s question, as Ansible asks it: "Perform task: TASK: NAME (N)o/(y)es/(c)ontinue:".
 * y runs the task, c runs it and every later one without asking, anything else skips it.
 * `around` pauses the live view while the question is on the screen.
 */
export function createStepper(io: CommandIo, around: { pause(): void; resume(): void }): (task: TaskRef) => Promise<boolean> {
  let continuing = false;
  // questions one at a time, in the order hosts reach the tasks
  let queue: Promise<unknown> = Promise.resolve();
  return (task) => {
    const ask = async (): Promise<boolean> => {
      if (continuing) return true;
      around.pause();
      try {
        const answer = (await askLine(io, `Perform task: TASK: ${task.name} (N)o/(y)es/(c)ontinue: `, '--step')).toLowerCase();
        if (answer === 'c' || answer === 'continue') continuing = true;
        return continuing || answer === 'y' || answer === 'yes';
      } finally {
        around.resume();
      }
    };
    const next = queue.then(ask, ask);
    queue = next.catch(() => undefined);
    return next;
  };
}
