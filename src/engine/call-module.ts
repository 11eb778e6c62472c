// One module run for one task (one loop item, one retry attempt): arguments rendered and
// checked, environment and become worked out, the connection opened, the module's context
// built (src/modules/context.ts), the module run under Ctrl-C and the task's timeout, and its
// result judged (changed_when, failed_when) into a TaskOutcome.
import { resolve } from 'node:path';
import { createModuleContext } from '../modules/context.js';
import { taskSearchPath } from '../playbook/search-path.js';
import type { ModuleResult } from '../modules/types.js';
import { maskSecrets } from '../transport/command.js';
import { ExecError, UnreachableError } from '../transport/errors.js';
import type { AbortWatchers, BecomeOptions, ExecResult, Transport } from '../transport/types.js';
import { InterruptedError } from '../util/errors.js';
import { prepareArgs } from './args.js';
import { addSecret, registerArgSecrets } from './secrets.js';
import { condition, truthy } from './conditions.js';
import { connectFor, delegatedScope, delegatedVars, resolveDelegation } from './delegate.js';
import type { Delegation } from './delegate.js';
import { ensureFacts, hostDeferred, transportOf } from './host-state.js';
import { applyInventoryChange } from './inventory-change.js';
import { templateMessage } from './identity.js';
import { describeExec, execDetails, execFailure, failure, lines } from './outcome.js';
import type { TaskOutcome } from './outcome.js';
import type { ModuleCall } from './task-call.js';
import { OMIT, renderValue, TemplateError } from './templating.js';
import type { VarScope } from './templating.js';

/** after an abort, how long a module may take to stop its remote command */
const ABORT_SETTLE_MS = 5000;

export async function callModule(call: ModuleCall, taskScope: VarScope): Promise<TaskOutcome> {
  const { run, host: h, task, module, inh, ref } = call;
  // delegate_to is rendered with the task's own variables (and loop item), before the arguments
  let d: Delegation | undefined;
  try {
    d = resolveDelegation(run, h, inh, taskScope);
  } catch (err) {
    return failure(templateMessage(err, task, 'delegate_to'));
  }
  const delegated = d !== undefined && !d.connectionOnly ? d : undefined;
  const scope = delegated ? taskScope.child({ name: 'delegation', kind: 'data', vars: delegatedVars(delegated) }) : taskScope;
  const rendered = (() => {
    try {
      return { ok: true as const, value: renderValue(task.args, scope) };
    } catch (err) {
      return { ok: false as const, err };
    }
  })();
  if (!rendered.ok) return failure(templateMessage(rendered.err, task, 'arguments'));
  const prepared = prepareArgs(rendered.value, module, task, h.name);
  if (!prepared.ok) return failure(prepared.msg);
  const args = prepared.args;
  // arguments the module declares secret, and whatever a no_log task templated, are secrets
  registerArgSecrets(run.secrets, (typeof module.secretArgs === 'function' ? module.secretArgs(args) : module.secretArgs) ?? [], task.args, rendered.value, args, call.noLog);
  let env: Record<string, string> = {};
  let become: BecomeOptions | undefined;
  try {
    env = environment(call.inh.environment, scope);
    // a delegated task becomes with the delegated host's settings (Ansible)
    become = becomeFor(call, delegated ? delegatedScope(run, delegated) : scope);
  } catch (err) {
    return failure(templateMessage(err, task, 'environment/become'));
  }
  let transport: Transport | undefined;
  try {
    // wait_for_connection opens the connection itself (the host may not answer yet)
    transport = module.controllerOnly ? undefined : module.connectsItself ? transportOf(run, d ? d.target : h) : await connectFor(run, h, d);
  } catch (err) {
    if (err instanceof InterruptedError) return failure(err.message);
    throw err;
  }
  const controller = new AbortController();
  // what the module call waits on: told directly by whoever aborts (Ctrl-C, the task's
  // timeout), not through a listener on the signal (EventTarget listeners cost, per command)
  let onAborted: (() => void) | undefined;
  // the running commands' stop functions, told the same way (ExecOptions.abortWatchers)
  const abortWatchers: AbortWatchers = new Set();
  const abort = (reason: Error): void => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    for (const stop of [...abortWatchers]) stop();
    onAborted?.();
  };
  const offKill = run.onKill(() => abort(new Error('interrupted (Ctrl-C)')));
  const timeoutS = inh.timeout;
  let timer: NodeJS.Timeout | undefined;
  let lastExec: ExecResult | undefined;
  const secrets = become?.password ? [...run.secrets, become.password] : run.secrets;
  const rootPassword = run.options.becomePassword;
  const ctx = createModuleContext({
    host: h.name,
    transport,
    module: module.name,
    check: inh.checkMode ?? run.options.check ?? false,
    diff: inh.diff ?? run.options.diff ?? false,
    become,
    becomeOnRequest: { user: 'root', ...(rootPassword ? { password: rootPassword } : {}) },
    env,
    signal: controller.signal,
    abortWatchers,
    secrets,
    scope,
    // a delegated module acts on the delegated host: its facts; connection: local keeps the host's
    facts: () => (delegated ? ensureFacts(run, delegated.target, module.usesFacts ?? false) : ensureFacts(run, h, module.usesFacts ?? false, d?.target)),
    readLocalFile: (p) => run.readFile(resolve(run.playbookDir, p)),
    searchPath: taskSearchPath(run.playbookDir, inh.roles),
    warn: (message) => run.emit({ type: 'warning', host: h.name, msg: message }),
    progress: (message) => run.emit({ type: 'progress', host: h.name, task: ref, msg: message }),
    onResult: (r) => (lastExec = r),
    ...(run.options.interact ? { interact: run.options.interact } : {}),
    onOutput: (stream, chunk) => {
      if (!call.noLog) run.emit({ type: 'output', host: h.name, task: ref, stream, chunk });
    },
  });

  const stoppedOutcome = (): TaskOutcome => {
    const reason = controller.signal.reason instanceof Error ? controller.signal.reason.message : 'aborted';
    return { ...failure(reason), ...(lastExec ? execDetails(lastExec) : {}) };
  };
  let res: ModuleResult;
  try {
    const running = module.run(ctx, args);
    if (timeoutS !== undefined && timeoutS > 0) {
      timer = setTimeout(() => {
        abort(new Error(`task timed out after ${timeoutS}s (timeout: ${timeoutS}) and was stopped`));
      }, timeoutS * 1000);
    }
    // The module's result, or on abort (Ctrl-C, task timeout) the abort's reason: the transport
    // stops the remote command, which takes a round trip, so the module gets until it gives up,
    // but never longer than ABORT_SETTLE_MS (one that ignores its signal cannot hold the run).
    // Whichever settles first wins; one promise per task, not a race of two.
    res = await new Promise<ModuleResult>((resolve, reject) => {
      running.then(resolve, reject);
      const onAbort = (): void => {
        const reason = controller.signal.reason instanceof Error ? controller.signal.reason : new Error('aborted');
        setTimeout(() => reject(reason), ABORT_SETTLE_MS).unref();
        running.then(() => reject(reason), () => reject(reason));
      };
      if (controller.signal.aborted) onAbort();
      else onAborted = onAbort;
    });
    // the module ended because it was stopped: that, not its own result, is the outcome
    if (controller.signal.aborted) return stoppedOutcome();
  } catch (err) {
    if (controller.signal.aborted && !(err instanceof UnreachableError)) return stoppedOutcome();
    if (err instanceof UnreachableError) throw err;
    if (err instanceof ExecError) return execFailure(err.result);
    if (err instanceof TemplateError) return failure(templateMessage(err, task, 'module'));
    const msg = maskSecrets(err instanceof Error ? err.message : String(err), secrets);
    return { ...failure(msg), ...(lastExec ? execDetails(lastExec) : {}) };
  } finally {
    if (timer) clearTimeout(timer);
    offKill();
  }
  // add_host / group_by: changed is whether the inventory changed (Ansible's strategy decides it too)
  if (res.inventory) res = { ...res, changed: applyInventoryChange(run, h, res.inventory) };
  for (const d of res.defer ?? []) if (run.plan.hosts.includes(d.host)) hostDeferred(run, run.host(d.host), d.from, maskSecrets(d.reason, secrets));
  const o = judgeResult(call, res, scope, lastExec);
  if (delegated) {
    o.delegatedTo = delegated.name;
    if (delegated.facts) o.delegateFacts = true;
  }
  return o;
}

/** ModuleResult → Ansible's registered shape, then changed_when / failed_when (also for an async job's result). */
export function judgeResult(call: ModuleCall, res: ModuleResult, scope: VarScope, lastExec: ExecResult | undefined): TaskOutcome {
  const task = call.task;
  const result: Record<string, unknown> = {
    ...(res.data ?? {}),
    changed: res.changed,
    failed: res.failed ?? false,
    ...(res.msg !== undefined ? { msg: res.msg } : {}),
    ...(res.skipped ? { skipped: true } : {}),
    ...(res.diff ? { diff: res.diff } : {}),
    ...(res.warnings?.length ? { warnings: res.warnings } : {}),
  };
  if (typeof result.stdout === 'string' && !('stdout_lines' in result)) result.stdout_lines = lines(result.stdout);
  if (typeof result.stderr === 'string' && !('stderr_lines' in result)) result.stderr_lines = lines(result.stderr);
  if (res.facts) {
    // a facts module's ansible_facts are registered as Ansible's (not nested under a second ansible_facts)
    const { ansible_facts: af, ...rest } = res.facts;
    result.ansible_facts = af && typeof af === 'object' ? { ...rest, ...(af as Record<string, unknown>) } : res.facts;
  }
  const s = task.register ? scope.child({ name: 'result', kind: 'data', vars: { [task.register]: result } }) : scope;
  try {
    if (task.changedWhen) result.changed = task.changedWhen.every((c) => condition(c, s));
    // Ansible registers the condition's verdict as failed_when_result too
    if (task.failedWhen) result.failed = result.failed_when_result = task.failedWhen.some((c) => condition(c, s));
  } catch (err) {
    return failure(templateMessage(err, task, task.failedWhen ? 'failed_when' : 'changed_when'));
  }
  const failed = result.failed === true;
  const status: TaskOutcome['status'] = failed ? 'failed' : res.skipped ? 'skipped' : result.changed === true ? 'changed' : 'ok';
  const o: TaskOutcome = {
    status,
    result,
    ...(res.msg !== undefined ? { msg: res.msg } : {}),
    ...(res.diff ? { diff: res.diff } : {}),
    ...(res.warnings?.length ? { warnings: res.warnings } : {}),
    ...(res.facts ? { facts: res.facts } : {}),
  };
  // the last command's exit code only when that command failed: a module that decides to fail after a
  // command that worked (wait_for timing out) is not "exit code 0"
  if (failed && lastExec && !lastExec.ok) Object.assign(o, execDetails(lastExec));
  if (failed && !o.msg) o.msg = lastExec && !lastExec.ok ? describeExec(lastExec) : 'failed';
  return o;
}

function environment(layers: ReadonlyArray<Record<string, unknown> | string>, scope: VarScope): Record<string, string> {
  const env: Record<string, string> = {};
  for (const layer of layers) {
    const rendered = renderValue(layer, scope);
    // `environment: "{{ proxy_env }}"` must render to a mapping (an omitted one sets nothing)
    if (typeof layer === 'string' && (rendered === null || typeof rendered !== 'object' || Array.isArray(rendered)) && rendered !== OMIT) {
      throw new TemplateError(`environment must be a mapping of NAME: value, got ${Array.isArray(rendered) ? 'a list' : typeof rendered}`, layer);
    }
    if (rendered && typeof rendered === 'object') {
      for (const [k, v] of Object.entries(rendered as Record<string, unknown>)) {
        if (v !== undefined && v !== null && v !== OMIT) env[k] = typeof v === 'string' ? v : JSON.stringify(v);
      }
    }
  }
  return env;
}

function becomeFor(call: ModuleCall, scope: VarScope): BecomeOptions | undefined {
  const { run, inh } = call;
  const enabled = inh.become ?? truthy(scope.get('ansible_become'));
  if (!enabled) return undefined;
  const user = inh.becomeUser ?? (scope.has('ansible_become_user') ? String(scope.get('ansible_become_user')) : 'root');
  let password = run.options.becomePassword;
  if (password === undefined) {
    for (const k of ['ansible_become_password', 'ansible_become_pass']) {
      if (scope.has(k)) {
        const v = scope.get(k);
        if (typeof v === 'string' && v.length > 0) {
          password = v;
          // found now: masked in every event from here on, and in the recap
          addSecret(run.secrets, v);
          break;
        }
      }
    }
  }
  return { user, method: 'sudo', ...(password !== undefined ? { password } : {}) };
}
