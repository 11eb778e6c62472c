// Semantic rules: what a schema cannot say. Each rule returns Diagnostics with a stable code,
// a message and a fix, and all rules run so the user sees every problem at once.
import type { Diagnostic, SourceLocation } from '../util/diagnostic.js';
import type { Play, Playbook, Step, TaskNode } from './types.js';
import { didYouMean } from '../util/edit-distance.js';

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names that cannot hold a registered result or loop item (Jinja words, magic variables). */
const RESERVED_NAMES = new Set(['true', 'false', 'none', 'and', 'or', 'not', 'in', 'is', 'if', 'else', 'for', 'hostvars', 'groups', 'inventory_hostname', 'ansible_facts', 'vars']);

/** A problem in a variable name (register, loop_var, set_fact), or undefined when fine. */
export function badVariableName(name: string): string | undefined {
  if (!IDENTIFIER.test(name)) return `\`${name}\` is not a valid variable name`;
  if (RESERVED_NAMES.has(name.toLowerCase())) return `\`${name}\` is a reserved name`;
  return undefined;
}

export function hasTemplate(s: string): boolean {
  return /\{\{[\s\S]*\}\}|\{%[\s\S]*%\}/.test(s);
}

/** Finds a position from a file and a dot path (key position), as the loader knows its files. */
export type Locator = (file: string, path: ReadonlyArray<string | number>, atValue?: boolean) => SourceLocation;

export interface RuleOptions {
  matchHosts?: (pattern: string) => string[];
  /** for a pattern that matches nothing: "did you mean" for its parts (the CLI knows the inventory) */
  hostPatternHint?: (pattern: string) => string;
  extraVarNames?: readonly string[];
}

function segs(path: string): Array<string | number> {
  return path === '' ? [] : path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function* tasksOf(steps: readonly Step[]): Generator<TaskNode> {
  for (const s of steps) {
    if (s.kind === 'task') yield s;
    else {
      yield* tasksOf(s.block);
      yield* tasksOf(s.rescue);
      yield* tasksOf(s.always);
    }
  }
}

function diag(severity: Diagnostic['severity'], code: string, location: SourceLocation, path: string, message: string, fix?: string): Diagnostic {
  return { severity, code, location, path, message, ...(fix !== undefined ? { fix } : {}) };
}

/** notify names that no handler of the play answers to (by name or listen). */
export function ruleMissingHandlers(play: Play, locate: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const known = new Set<string>();
  for (const h of play.handlers) {
    if (h.name !== undefined) known.add(h.name);
    for (const l of h.listen ?? []) known.add(l);
  }
  const knownList = [...known];
  for (const t of [...tasksOf(play.preTasks), ...tasksOf(play.tasks), ...tasksOf(play.postTasks), ...play.handlers]) {
    t.notify.forEach((n, i) => {
      if (known.has(n) || hasTemplate(n)) return;
      const guess = didYouMean(n, knownList);
      const p = [...segs(t.path), 'notify'];
      const loc = locate(t.location.file, [...p, i], true);
      out.push(
        diag(
          'error',
          'missing-handler',
          loc,
          p.join('.'),
          `notify \`${n}\` matches no handler of this play${guess !== undefined ? `; did you mean \`${guess}\`?` : ''}`,
          knownList.length > 0
            ? `notify one of the handlers (${knownList.map((k) => `\`${k}\``).join(', ')}) or add a handler named \`${n}\` (or with \`listen: ${n}\`)`
            : `add a handler under \`handlers:\` with \`name: ${n}\` (or \`listen: ${n}\`)`,
        ),
      );
    });
  }
  const seen = new Map<string, TaskNode>();
  for (const h of play.handlers) {
    if (h.name === undefined) continue;
    const first = seen.get(h.name);
    if (first !== undefined) {
      out.push(
        diag('warning', 'duplicate-handler', h.location, h.path, `handler name \`${h.name}\` is used twice (first at line ${first.location.line}); only the last one runs when notified`, 'give each handler a unique name; use `listen:` to group handlers'),
      );
    } else seen.set(h.name, h);
  }
  return out;
}

/** A host pattern that selects no inventory host (only when an inventory was given). */
export function ruleHostsMatch(play: Play, options: RuleOptions, locate: Locator, runtimeInventory = false): Diagnostic[] {
  if (options.matchHosts === undefined || hasTemplate(play.hosts)) return [];
  let matched: string[];
  try {
    matched = options.matchHosts(play.hosts);
  } catch (e) {
    const p = [...segs(play.path), 'hosts'];
    return [diag('error', 'bad-host-pattern', locate(play.location.file, p), p.join('.'), `host pattern \`${play.hosts}\` is not valid: ${e instanceof Error ? e.message : String(e)}`, 'use group or host names joined with `:`, `:!` (except) and `:&` (and)')];
  }
  if (matched.length > 0) return [];
  const p = [...segs(play.path), 'hosts'];
  // after an add_host/group_by the inventory changes at run time: Ansible only warns, so do we then
  return [
    diag(runtimeInventory ? 'warning' : 'error', 'hosts-no-match', locate(play.location.file, p), p.join('.'), `hosts pattern \`${play.hosts}\` matches no host in the inventory`, options.hostPatternHint?.(play.hosts) || 'check the group and host names against the inventory (-i), or fix the pattern'),
  ];
}

/** register names and loop variables: valid names, no clashes. */
export function ruleVariableNames(play: Play, options: RuleOptions, locate: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const extra = new Set(options.extraVarNames ?? []);
  const all = [...tasksOf(play.preTasks), ...tasksOf(play.tasks), ...tasksOf(play.postTasks), ...play.handlers];
  for (const t of all) {
    const base = segs(t.path);
    if (t.register !== undefined) {
      const bad = badVariableName(t.register);
      const p = [...base, 'register'];
      if (bad !== undefined) {
        out.push(diag('error', 'bad-register-name', locate(t.location.file, p), p.join('.'), `register: ${bad}`, 'use letters, digits and underscores, starting with a letter, e.g. `register: cert_result`'));
      } else if (extra.has(t.register)) {
        out.push(diag('warning', 'register-shadowed', locate(t.location.file, p), p.join('.'), `register \`${t.register}\` is also given with -e; extra vars win, so the registered result is hidden`, 'rename the registered variable or drop the -e'));
      }
    }
    if (t.loopControl !== undefined) {
      const lc = t.loopControl;
      for (const [key, name] of [['loop_var', lc.loopVar], ['index_var', lc.indexVar]] as const) {
        if (name === undefined) continue;
        const p = [...base, 'loop_control', key];
        const bad = badVariableName(name);
        if (bad !== undefined) out.push(diag('error', 'bad-loop-var', locate(t.location.file, p), p.join('.'), `${key}: ${bad}`, 'use letters, digits and underscores'));
      }
      if (lc.indexVar !== undefined && lc.indexVar === lc.loopVar) {
        const p = [...base, 'loop_control', 'index_var'];
        out.push(diag('error', 'loop-var-clash', locate(t.location.file, p), p.join('.'), `index_var and loop_var are both \`${lc.loopVar}\``, 'give the index its own name, e.g. `index_var: idx`'));
      }
      if (t.register !== undefined && t.register === lc.loopVar) {
        const p = [...base, 'loop_control', 'loop_var'];
        out.push(diag('error', 'loop-var-clash', locate(t.location.file, p), p.join('.'), `loop_var \`${lc.loopVar}\` is also the register name of the same task`, 'use different names for the loop variable and the registered result'));
      }
      if (t.vars !== undefined && Object.hasOwn(t.vars, lc.loopVar)) {
        const p = [...base, 'vars', lc.loopVar];
        out.push(diag('warning', 'loop-var-clash', locate(t.location.file, p), p.join('.'), `task variable \`${lc.loopVar}\` is hidden by the loop variable of the same name`, 'rename the task variable or set loop_control.loop_var'));
      }
      if (extra.has(lc.loopVar)) {
        const p = [...base, 'loop_control', 'loop_var'];
        out.push(diag('warning', 'loop-var-clash', locate(t.location.file, p), p.join('.'), `loop_var \`${lc.loopVar}\` is also given with -e; extra vars win over the loop item`, 'choose another loop_var'));
      }
    }
  }
  return out;
}

/** Everything that needs the whole normalised playbook. */
export function runPlaybookRules(playbook: Playbook, options: RuleOptions, locate: Locator, complete = true): Diagnostic[] {
  const out: Diagnostic[] = [];
  let runtimeInventory = false;
  for (const play of playbook.plays) {
    if (complete) out.push(...ruleMissingHandlers(play, locate));
    out.push(...ruleHostsMatch(play, options, locate, runtimeInventory), ...ruleVariableNames(play, options, locate));
    runtimeInventory ||= JSON.stringify([play.preTasks, play.tasks, play.postTasks]).match(/"module":"(add_host|group_by)"/) !== null;
    if (complete && play.preTasks.length + play.tasks.length + play.postTasks.length === 0) {
      out.push(diag('warning', 'empty-play', play.location, play.path, `play \`${play.name}\` has no tasks`, 'add tasks under `tasks:`, or remove the play'));
    }
  }
  return out;
}
