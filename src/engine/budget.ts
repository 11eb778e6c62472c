// The rollout's failure budget, across every batch of the run (issue 18): `max_fail_total: N`
// tolerates N failed hosts in total and the next failure stops the rollout as an exceeded
// max_fail_percentage does (no host of the batch starts another task, no later batch starts);
// `fail_fast` stops at the first failed host of a batch. Unreachable hosts are counted apart
// (`max_unreachable_total`), since a powered-off node is not a broken rollout, unless
// `count_unreachable` makes them count as failures. Flags (RunOptions.rollout) win over the
// play's keywords: the operator decides at run time how much risk this rollout takes.
import type { Play } from '../playbook/types.js';

/** The flags' side of the budget (`--max-fail`, `--max-unreachable`, `--count-unreachable`, `--fail-fast`). */
export interface RolloutLimits {
  maxFailTotal?: number;
  maxUnreachableTotal?: number;
  countUnreachable?: boolean;
  failFast?: boolean;
}

/** The budget in force for one play: flags over keywords. */
export interface BudgetRule {
  maxFail?: number;
  maxUnreachable?: number;
  countUnreachable: boolean;
  failFast: boolean;
}

export function budgetRule(play: Play, flags: RolloutLimits = {}): BudgetRule {
  const maxFail = flags.maxFailTotal ?? play.maxFailTotal;
  const maxUnreachable = flags.maxUnreachableTotal ?? play.maxUnreachableTotal;
  return {
    ...(maxFail !== undefined ? { maxFail } : {}),
    ...(maxUnreachable !== undefined ? { maxUnreachable } : {}),
    countUnreachable: flags.countUnreachable ?? play.countUnreachable ?? false,
    failFast: flags.failFast ?? play.failFast ?? false,
  };
}

export function ruleIsActive(rule: BudgetRule): boolean {
  return rule.maxFail !== undefined || rule.maxUnreachable !== undefined || rule.failFast;
}

/** Hosts out of the rollout so far: the whole run's (and, on --resume, the resumed run's). */
export interface BudgetCounts {
  failed: readonly string[];
  unreachable: readonly string[];
}

/**
 * Why the rollout must stop now, or undefined. `batch` is the current batch's failed and
 * unreachable hosts (fail_fast looks at the batch only; the totals at the whole rollout).
 */
export function budgetExceeded(rule: BudgetRule, total: BudgetCounts, batch: BudgetCounts, batchNumber: number): string | undefined {
  if (rule.failFast) {
    const first = batch.failed[0] ?? (rule.countUnreachable ? batch.unreachable[0] : undefined);
    if (first !== undefined) {
      return `fail_fast: ${first} ${batch.failed.includes(first) ? 'failed' : 'was unreachable'} in batch ${batchNumber}`;
    }
  }
  if (rule.maxFail !== undefined) {
    const counted = rule.countUnreachable ? [...total.failed, ...total.unreachable] : [...total.failed];
    if (counted.length > rule.maxFail) {
      const what = rule.countUnreachable ? 'failed or unreachable' : 'failed';
      return `failure budget exceeded: ${counted.length} hosts ${what} across the rollout, max_fail_total is ${rule.maxFail} (${names(counted)})`;
    }
  }
  if (rule.maxUnreachable !== undefined && total.unreachable.length > rule.maxUnreachable) {
    return `unreachable budget exceeded: ${total.unreachable.length} hosts unreachable across the rollout, max_unreachable_total is ${rule.maxUnreachable} (${names(total.unreachable)})`;
  }
  return undefined;
}

function names(list: readonly string[]): string {
  return list.length <= 5 ? list.join(', ') : `${list.slice(0, 5).join(', ')} and ${list.length - 5} more`;
}
