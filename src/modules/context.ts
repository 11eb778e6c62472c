// The ONE place a ModuleContext is built: by the engine for every module run
// (src/engine/call-module.ts) and by the modules' own tests (testing/local-context.ts), so a
// module behaves the same under test as in a run: the same become rules, the same
// environment merge, the same template functions.
import type { HostFacts } from '../facts/types.js';
import { evaluate, render, renderFile } from '../template/index.js';
import type { VarScope } from '../template/index.js';
import { ExecError, UnreachableError } from '../transport/errors.js';
import type { AbortWatchers, BecomeOptions, ExecResult, Transport } from '../transport/types.js';
import { LocalTransport } from '../transport/local.js';
import type { ShellCommand } from '../transport/command.js';
import type { ModuleContext } from './types.js';

export interface ModuleContextSpec {
  host: string;
  /** where commands run; undefined for a controller-only module (exec/put then throw) */
  transport: Transport | undefined;
  /** the module's name, for the controller-only error */
  module: string;
  check: boolean;
  diff: boolean;
  /** the task's become (every command uses it unless it asks `become: false`) */
  become?: BecomeOptions | undefined;
  /** what `become: true` on one command uses when the task has no become */
  becomeOnRequest?: BecomeOptions | undefined;
  /** the task's `environment:` */
  env?: Record<string, string>;
  /** aborts running commands (Ctrl-C, task timeout) */
  signal?: AbortSignal;
  /** told by whoever aborts `signal` (see ExecOptions.abortWatchers) */
  abortWatchers?: AbortWatchers;
  /** masked out of command output and errors */
  secrets?: readonly string[];
  /** the task's variables: `vars`, renderTemplate, evaluate, evaluateValue */
  scope: VarScope;
  facts(): Promise<HostFacts>;
  readLocalFile(path: string): Promise<string>;
  /** `ansible_search_path`: where relative controller files are looked for */
  searchPath?: readonly string[];
  warn(message: string): void;
  progress(message: string): void;
  /** the operator's terminal (pause) */
  interact?: ModuleContext['interact'];
  /** every command, before it runs */
  onCommand?(command: ShellCommand): void;
  /** every command's result */
  onResult?(result: ExecResult): void;
  /** command output as it arrives */
  onOutput?(stream: 'stdout' | 'stderr', chunk: string): void;
}

export function createModuleContext(spec: ModuleContextSpec): ModuleContext {
  const { transport, scope } = spec;
  const needTransport = (): Transport => {
    if (!transport) throw new Error(`module ${spec.module} is controller-only and cannot run commands on the host`);
    return transport;
  };
  const exec: ModuleContext['exec'] = async (command, o = {}) => {
    const { become: useBecome, ...rest } = o;
    const b = useBecome === false ? undefined : useBecome === true ? (spec.become ?? spec.becomeOnRequest) : spec.become;
    const t = needTransport();
    spec.onCommand?.(command);
    const r = await t.exec(command, {
      ...rest,
      env: { ...spec.env, ...rest.env },
      ...(b ? { become: b } : {}),
      ...(spec.signal ? (spec.abortWatchers ? { signal: spec.signal, abortWatchers: spec.abortWatchers } : { signal: spec.signal }) : {}),
      secrets: [...(spec.secrets ?? []), ...(rest.secrets ?? [])],
      ...(rest.onOutput || spec.onOutput
        ? {
            onOutput: (stream: 'stdout' | 'stderr', chunk: string) => {
              rest.onOutput?.(stream, chunk);
              spec.onOutput?.(stream, chunk);
            },
          }
        : {}),
    });
    spec.onResult?.(r);
    return r;
  };
  let vars: Record<string, unknown> | undefined;
  return {
    host: spec.host,
    check: spec.check,
    diff: spec.diff,
    facts: () => spec.facts(),
    // resolving every variable costs; most modules never look
    get vars() {
      return (vars ??= scope.toObject());
    },
    exec,
    run: async (command, o) => {
      const r = await exec(command, o);
      if (!r.ok) throw new ExecError(r);
      return r;
    },
    put: (path, content, o = {}) => needTransport().put(path, content, { ...o, ...(spec.become ? { become: spec.become } : {}) }),
    readLocalFile: (p) => spec.readLocalFile(p),
    ...(spec.searchPath ? { searchPath: spec.searchPath } : {}),
    renderTemplate: (text, file) => {
      if (!file) return String(render(text, scope));
      const { vars: extra, ...options } = file;
      return renderFile(text, extra ? scope.child({ name: 'template vars', kind: 'data', vars: extra }) : scope, options);
    },
    evaluate: (expr) => evaluate(expr, scope),
    evaluateValue: (expr) => render(`{{ ${expr} }}`, scope),
    warn: (message) => spec.warn(message),
    progress: (message) => spec.progress(message),
    ...(spec.signal ? { signal: spec.signal } : {}),
    ...(spec.interact ? { interact: spec.interact } : {}),
    ...(transport ? { reconnect: (timeoutMs: number) => reconnectTransport(transport, timeoutMs) } : {}),
    ...(transport instanceof LocalTransport ? { localConnection: true } : {}),
  };
}

/**
 * Close the connection and open it again, giving up after `timeoutMs` (wait_for_connection:
 * Ansible's connection reset before each try). A connect still under way then is stopped, so
 * the next try starts clean. Later tasks find the transport open (connect() is idempotent).
 */
async function reconnectTransport(t: Transport, timeoutMs: number): Promise<void> {
  await t.close().catch(() => undefined);
  const opening = t.connect();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnreachableError(t.host, 'timeout', `${t.host}: timed out after ${timeoutMs / 1000}s connecting`)), timeoutMs);
  });
  try {
    await Promise.race([opening, timeout]);
  } catch (err) {
    opening.catch(() => undefined);
    await t.close().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
