// What a planner may know besides facts and arguments: the clock and a unique suffix, passed in
// so that plans are pure functions and module tests are data (facts in → commands out).
import { randomBytes } from 'node:crypto';
import type { ModuleContext } from '../types.js';
import type { Plan } from './plan.js';

export interface PlanEnv {
  check: boolean;
  diff: boolean;
  now: Date;
  /** unique suffix for temp files */
  tmpSuffix: string;
}

export function planEnv(ctx: Pick<ModuleContext, 'check' | 'diff'>): PlanEnv {
  return { check: ctx.check, diff: ctx.diff, now: new Date(), tmpSuffix: randomBytes(6).toString('hex') };
}

/** The pure half of a module: the probe's parsed value + arguments → plan. Used by data tests. */
export interface Planner<A, S> {
  plan(args: A, state: S, env: PlanEnv): Plan;
}
