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
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void;
}

export function createModuleContext(spec: ModuleContextSpec): ModuleContext {
  return new HostContext(spec);
}

const NO_ENV: Record<string, string> = Object.freeze({});
const NO_SECRETS: readonly string[] = Object.freeze([]);

/**
 * A class, not an object literal of closures: one is made per task and host, and a literal
 * allocated a dozen closures and an accessor each time, in shapes that varied with the optional
 * members (so every module's `ctx.exec` was a polymorphic load). Every member is always
 * present here, undefined when the context lacks it (modules test them with `?.`).
 */
class HostContext implements ModuleContext {
  readonly host: string;
  readonly check: boolean;
  readonly diff: boolean;
  readonly searchPath: readonly string[] | undefined;
  readonly signal: AbortSignal | undefined;
  readonly interact: ModuleContext['interact'];
  readonly localConnection: true | undefined;
  readonly reconnect: ((timeoutMs: number) => Promise<void>) | undefined;
  #vars: Record<string, unknown> | undefined;

  constructor(private readonly spec: ModuleContextSpec) {
    this.host = spec.host;
    this.check = spec.check;
    this.diff = spec.diff;
    this.searchPath = spec.searchPath;
    this.signal = spec.signal;
    this.interact = spec.interact;
    const t = spec.transport;
    this.localConnection = t instanceof LocalTransport ? true : undefined;
    this.reconnect = t ? (timeoutMs: number) => reconnectTransport(t, timeoutMs) : undefined;
  }

  // resolving every variable costs; most modules never look
  get vars(): Record<string, unknown> {
    return (this.#vars ??= this.spec.scope.toObject());
  }

  facts(): Promise<HostFacts> {
    return this.spec.facts();
  }

  private transport(): Transport {
    const t = this.spec.transport;
    if (!t) throw new Error(`module ${this.spec.module} is controller-only and cannot run commands on the host`);
    return t;
  }

  async exec(command: ShellCommand, o: Parameters<ModuleContext['exec']>[1] = {}): Promise<ExecResult> {
    const spec = this.spec;
    const useBecome = o.become;
    const b = useBecome === false ? undefined : useBecome === true ? (spec.become ?? spec.becomeOnRequest) : spec.become;
    const t = this.transport();
    spec.onCommand?.(command);
    const own = o.onOutput;
    const tell = spec.onOutput;
    // one object of one shape per command: absent options are undefined (the transports test them so)
    const r = await t.exec(command, {
      stdin: o.stdin,
      cwd: o.cwd,
      timeoutMs: o.timeoutMs,
      env: o.env === undefined ? (spec.env ?? NO_ENV) : spec.env === undefined ? o.env : { ...spec.env, ...o.env },
      become: b,
      signal: spec.signal,
      abortWatchers: spec.signal ? spec.abortWatchers : undefined,
      secrets: o.secrets === undefined || o.secrets.length === 0 ? (spec.secrets ?? NO_SECRETS) : [...(spec.secrets ?? []), ...o.secrets],
      onOutput: own && tell ? (stream, chunk) => (own(stream, chunk), tell(stream, chunk)) : (own ?? tell),
      outputAtEnd: o.outputAtEnd,
    });
    spec.onResult?.(r);
    return r;
  }

  async run(command: ShellCommand, o?: Parameters<ModuleContext['run']>[1]): Promise<ExecResult> {
    const r = await this.exec(command, o);
    if (!r.ok) throw new ExecError(r);
    return r;
  }

  put(path: string, content: string | Buffer, o: Parameters<ModuleContext['put']>[2] = {}): Promise<void> {
    const become = this.spec.become;
    return this.transport().put(path, content, become ? { ...o, become } : o);
  }

  readLocalFile(p: string): Promise<string> {
    return this.spec.readLocalFile(p);
  }

  renderTemplate(text: string, file?: Parameters<ModuleContext['renderTemplate']>[1]): string {
    const scope = this.spec.scope;
    if (!file) return String(render(text, scope));
    const { vars: extra, ...options } = file;
    return renderFile(text, extra ? scope.child({ name: 'template vars', kind: 'data', vars: extra }) : scope, options);
  }

  evaluate(expr: string): boolean {
    return evaluate(expr, this.spec.scope);
  }

  evaluateValue(expr: string): unknown {
    return render(`{{ ${expr} }}`, this.spec.scope);
  }

  warn(message: string): void {
    this.spec.warn(message);
  }

  progress(message: string): void {
    this.spec.progress(message);
  }
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
