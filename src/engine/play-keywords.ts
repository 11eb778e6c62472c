// Play keywords written as `{{ }}` templates (strategy, serial, max_fail_percentage,
// any_errors_fatal, gather_facts): Ansible renders them once per play, before it splits the
// hosts into batches, with the play's variables (vars, vars_files) and extra vars: no host
// variable or fact exists yet. The plan does the same and checks the rendered values as
// strictly as the loader checks literal ones; a bad value stops the run before any host is
// contacted, with the play's position.
import type { Play, Serial } from '../playbook/types.js';
import { parseAnsibleBool } from '../util/booleans.js';
import { UsageError } from '../util/errors.js';
import { createScope, OMIT, renderValue } from './templating.js';

const PERCENT = /^[0-9]+(\.[0-9]+)?%?$/;

export function resolvePlayKeywords(play: Play, extraVars: Record<string, unknown>): Play {
  const dynamic = play.dynamic;
  if (dynamic === undefined) return play;
  const scope = createScope([
    { name: 'play vars', kind: 'template', vars: play.vars },
    ...play.varsFiles.map((vf) => ({ name: `vars_files ${vf.file}`, kind: 'template' as const, vars: vf.vars })),
    { name: 'extra vars', kind: 'template', vars: extraVars },
  ]);
  const fail = (key: string, msg: string): never => {
    throw new UsageError(`${play.location.file}:${play.location.line}:${play.location.col}: play "${play.name}": ${key}: ${msg}`);
  };
  const out: Play = { ...play };
  delete out.dynamic;
  for (const [key, raw] of Object.entries(dynamic)) {
    let v: unknown;
    try {
      v = renderValue(raw, scope);
    } catch (err) {
      fail(key, err instanceof Error ? err.message : String(err));
    }
    // `{{ omit }}`: as if the keyword were not written (Ansible's default)
    if (v === OMIT) continue;
    const shown = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
    switch (key) {
      case 'strategy':
        if (v !== 'linear' && v !== 'free') fail(key, `rendered to ${shown}; runbook's strategies are linear and free`);
        out.strategy = v as 'linear' | 'free';
        break;
      case 'serial': {
        const list = (Array.isArray(v) ? v : [v]).filter((x) => x !== OMIT);
        const serial: Serial = [];
        for (const x of list) {
          if (typeof x === 'number' && Number.isInteger(x) && x >= 1) serial.push(x);
          else if (typeof x === 'string' && /^[0-9]+$/.test(x.trim()) && Number(x) >= 1) serial.push(Number(x));
          else if (typeof x === 'string' && PERCENT.test(x.trim()) && Number.parseFloat(x) > 0 && Number.parseFloat(x) <= 100) serial.push(x.trim());
          else fail(key, `rendered to ${shown}; a batch size is a number of 1 or more or a percentage like "30%"`);
        }
        out.serial = serial;
        break;
      }
      case 'max_fail_percentage': {
        const n = typeof v === 'number' ? v : typeof v === 'string' && PERCENT.test(v.trim()) ? Number.parseFloat(v) : Number.NaN;
        if (!(n >= 0 && n <= 100)) fail(key, `rendered to ${shown}, not a number from 0 to 100`);
        out.maxFailPercentage = n;
        break;
      }
      case 'any_errors_fatal':
      case 'gather_facts': {
        const b = parseAnsibleBool(v);
        if (b === undefined) fail(key, `rendered to ${shown}, which is not a boolean`);
        if (key === 'any_errors_fatal') out.anyErrorsFatal = b === true;
        else out.gatherFacts = b === true;
        break;
      }
      default:
        break;
    }
  }
  return out;
}
