// The template interpreter: evaluates @huggingface/jinja's AST over plain JavaScript values.
// runbook evaluates the AST itself instead of using the library's Interpreter because that
// one deep-copies every variable into its own value classes on each render (too slow for
// fleets, and it would force every host's vars to resolve for `hostvars`) and has a fixed set
// of filters. Sandbox: member access reads only own properties of plain objects, list items
// and string characters, plus the fixed method tables below; only `Callable` objects can be
// called. Nothing here can reach a prototype, a constructor or a JavaScript global.
import { CALL_FN, FROM_FN, IMPORT_FN, WITH_FN, compile, type AstNode } from './compile.js';
import { fileLoader, finishFile, inlineIncludes } from './includes.js';
import { runLookup } from './lookups/registry.js';
import type { LookupContext } from './lookups/types.js';
import { DateTime, TimeDelta, strftime } from './datetime.js';
import { OMIT, contains, getAttr, toInt, type Runtime } from './access.js';
import { TemplateRuntimeError } from './errors.js';
import { FILTERS, UNDEFINED_OK_FILTERS } from './filters.js';
import { TESTS } from './tests.js';
import {
  Callable,
  LazyMapping,
  Undefined,
  compare,
  equals,
  isList,
  isMapping,
  iterate,
  mappingGet,
  mappingKeys,
  repr,
  setOwn,
  str,
  truthy,
  typeName,
  toPlain,
} from './values.js';

/** Where names come from: the variable scope, through this single function. */
export type Lookup = (name: string) => unknown;

/** What a template file may reach beyond its variables. */
export interface TemplateEnv {
  /**
   * The parsed body of another template file (`{% import %}` / `{% from %}`); throws a
   * TemplateRuntimeError when it cannot. Absent: templates outside files cannot import.
   */
  load?: (name: string) => AstNode[];
  /** the variables lookup plugins read (an import without context still reads the task's) */
  pluginLookup?: Lookup;
  /** how deep imports nest here (a cycle stops at MAX_IMPORT_DEPTH) */
  depth?: number;
}

const MAX_IMPORT_DEPTH = 20;


const MAX_RANGE = 1_000_000;
const MAX_STRING = 64 * 1024 * 1024;

class Frame {
  readonly vars = new Map<string, unknown>();
  constructor(
    readonly parent: Frame | undefined,
    readonly lookup: Lookup,
  ) {}
  get(name: string): unknown {
    if (this.vars.has(name)) return this.vars.get(name);
    return this.parent ? this.parent.get(name) : this.lookup(name);
  }
}

/**
 * A `{% macro %}` (or a `{% call %}` block's `caller`): a Callable whose body renders in a
 * frame on top of the frame it was defined in, so it sees the template's variables and its
 * own arguments but not the locals (loop variables) of whoever calls it.
 */
export class Macro extends Callable {}

/** A mapping over a Map (never an object: no key reaches a prototype). */
class MapMapping extends LazyMapping {
  constructor(protected readonly data = new Map<string, unknown>()) {
    super();
  }
  get(key: string): unknown {
    return this.data.get(key);
  }
  has(key: string): boolean {
    return this.data.has(key);
  }
  keys(): string[] {
    return [...this.data.keys()];
  }
}

/** Jinja's `namespace()`: the one object a template may change (`{% set ns.found = true %}`). */
export class Namespace extends MapMapping {
  set(key: string, value: unknown): void {
    this.data.set(key, value);
  }
}

/** What `{% import %}` yields: the imported template's macros and top-level variables. */
class TemplateModule extends MapMapping {}

/** The names a body uses anywhere (for a macro: does it use `varargs`, `kwargs`, `caller`?). */
function usedNames(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const n of node) usedNames(n, out);
  } else if (node instanceof Map) {
    for (const [k, v] of node) {
      usedNames(k, out);
      usedNames(v, out);
    }
  } else if (typeof node === 'object' && node !== null) {
    const n = node as AstNode;
    if (n.type === 'Identifier' && typeof n.value === 'string') out.add(n.value);
    for (const v of Object.values(n)) if (typeof v === 'object') usedNames(v, out);
  }
  return out;
}

class BreakSignal extends Error {}
class ContinueSignal extends Error {}

const runtime: Runtime = {
  filter(name, value, args, kwargs) {
    const fn = FILTERS.get(name);
    if (!fn) throw new TemplateRuntimeError(`no filter named '${name}'`);
    if (value instanceof Undefined && !UNDEFINED_OK_FILTERS.has(name)) value.fail();
    return fn(value, args, kwargs, runtime);
  },
  test(name, value, args, kwargs = {}) {
    const fn = TESTS.get(name);
    if (!fn) throw new TemplateRuntimeError(`no test named '${name}'`);
    return fn(value, args, runtime, kwargs);
  },
};

/** lookup()/query()/q(): called with the interpreter's variables (a plain Callable has none). */
class LookupCallable extends Callable {
  constructor(
    name: string,
    readonly wantlist: boolean,
  ) {
    super(name, () => {
      throw new TemplateRuntimeError(`${name}() needs the template's variables`);
    });
  }
}

export function makeGlobals(): Map<string, unknown> {
  return new Map<string, unknown>([
    ['true', true],
    ['True', true],
    ['false', false],
    ['False', false],
    ['none', null],
    ['None', null],
    ['omit', OMIT],
    [
      'range',
      new Callable('range', (args) => {
        const nums = args.map((a) => toInt(a, 'range'));
        const [start, stop, step] =
          nums.length === 1 ? [0, nums[0]!, 1] : [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 1];
        if (step === 0) throw new TemplateRuntimeError('range() step must not be zero');
        const out: number[] = [];
        for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
          if (out.length >= MAX_RANGE) throw new TemplateRuntimeError(`range() is limited to ${MAX_RANGE} items`);
          out.push(i);
        }
        return out;
      }),
    ],
    [
      'dict',
      new Callable('dict', (args, kwargs) => {
        const o: Record<string, unknown> = {};
        if (args[0] !== undefined) for (const [k, v] of pairs(args[0])) setOwn(o, k, v);
        for (const [k, v] of Object.entries(kwargs)) setOwn(o, k, v);
        return o;
      }),
    ],
    [
      'now',
      // Ansible's now(utc=False, fmt=None): a datetime, or its text in `fmt`
      new Callable('now', (args, kwargs) => {
        const utc = truthy(args[0] ?? kwargs.utc ?? false);
        const fmt = args[1] ?? kwargs.fmt ?? null;
        const dt = new DateTime(new Date(), utc);
        if (fmt === null || fmt === undefined) return dt;
        if (typeof fmt !== 'string') throw new TemplateRuntimeError(`now(): fmt must be a string, got ${typeName(fmt)}`);
        return strftime(fmt, dt.date, utc);
      }),
    ],
    // the lookup plugins run with the calling template's variables: see Interpreter.call
    [
      'namespace',
      new Callable('namespace', (args, kwargs) => {
        const ns = new Namespace();
        if (args[0] !== undefined) for (const [k, v] of pairs(args[0])) ns.set(k, v);
        for (const [k, v] of Object.entries(kwargs)) ns.set(k, v);
        return ns;
      }),
    ],
    ['lookup', new LookupCallable('lookup', false)],
    ['query', new LookupCallable('query', true)],
    ['q', new LookupCallable('q', true)],
  ]);
}
const GLOBALS = makeGlobals();

function pairs(v: unknown): Array<[string, unknown]> {
  if (isMapping(v)) return mappingKeys(v).map((k) => [k, mappingGet(v, k)]);
  return iterate(v, 'dict()').map((p) => {
    if (!isList(p) || p.length !== 2) throw new TemplateRuntimeError('dict() needs a list of pairs');
    return [str(p[0]), p[1]];
  });
}

/** A short text for an expression, for messages (`out.stdout`, `hostvars['h1']`). */
function label(node: AstNode): string {
  switch (node.type) {
    case 'Identifier':
      return node.value as string;
    case 'MemberExpression': {
      const prop = node.property as AstNode;
      const obj = label(node.object as AstNode);
      if (!node.computed) return `${obj}.${String(prop.value)}`;
      if (prop.type === 'StringLiteral' || prop.type === 'IntegerLiteral') return `${obj}[${repr(prop.value)}]`;
      return `${obj}[...]`;
    }
    case 'CallExpression':
      return `${label(node.callee as AstNode)}()`;
    case 'FilterExpression':
      return `${label(node.operand as AstNode)}|...`;
    default:
      return 'value';
  }
}

export class Interpreter {
  private readonly plugins: Lookup;
  constructor(
    private readonly lookup: Lookup,
    private readonly env: TemplateEnv = {},
  ) {
    this.plugins = env.pluginLookup ?? lookup;
  }

  /** Evaluate the statements of a template to text. */
  renderBody(body: AstNode[]): string {
    return this.block(body, new Frame(undefined, this.lookup));
  }

  /** What a lookup plugin sees: this template's variables, and a way to render a template file with them. */
  private lookupContext(): LookupContext {
    const variable = this.plugins;
    const strings = (v: unknown): string[] | undefined => (isList(v) && v.every((x) => typeof x === 'string') ? [...(v)] : undefined);
    const baseDir = (): string => {
      const d = variable('playbook_dir');
      return typeof d === 'string' && d !== '' ? d : process.cwd();
    };
    return {
      variable,
      baseDir,
      searchPath: () => strings(variable('ansible_search_path')) ?? [baseDir()],
      renderFile: (source, options, extra) => {
        const inner = new Interpreter(extra ? (n) => (Object.hasOwn(extra, n) ? extra[n] : variable(n)) : variable, { load: fileLoader(options) });
        return finishFile(source, inner.renderBody(compile(inlineIncludes(source, options, 0), options).body), options);
      },
      render: (template, extra) => {
        const inner = new Interpreter(extra ? (n) => (Object.hasOwn(extra, n) ? extra[n] : variable(n)) : variable);
        const compiled = compile(template);
        if (compiled.single) return toPlain(inner.value(compiled.single));
        const out = inner.renderBody(compiled.body);
        return compiled.trailingNewline ? `${out}\n` : out;
      },
    };
  }

  /** Evaluate a single expression to its native value. */
  value(node: AstNode): unknown {
    return this.eval(node, new Frame(undefined, this.lookup));
  }

  private block(body: AstNode[], frame: Frame): string {
    let out = '';
    // indexed: every template of every task and host renders through here (no iterator objects in unoptimised code)
    for (let i = 0; i < body.length; i++) {
      const stmt = body[i] as AstNode;
      switch (stmt.type) {
        case 'Comment':
          break;
        case 'If':
          out += this.block(truthy(this.eval(stmt.test as AstNode, frame)) ? (stmt.body as AstNode[]) : (stmt.alternate as AstNode[]), frame);
          break;
        case 'For':
          out += this.forLoop(stmt, frame);
          break;
        case 'Set':
          this.set(stmt, frame);
          break;
        case 'Break':
          throw new BreakSignal();
        case 'Continue':
          throw new ContinueSignal();
        case 'Macro': {
          const name = (stmt.name as AstNode).value as string;
          frame.vars.set(name, this.macro(name, stmt.args as AstNode[], stmt.body as AstNode[], frame));
          break;
        }
        case 'CallStatement':
          out += this.callBlock(stmt, frame);
          break;
        case 'FilterStatement':
          // the block's own assignments stay inside it, as Jinja's
          out += str(this.filter(this.block(stmt.body as AstNode[], new Frame(frame, this.lookup)), stmt.filter as AstNode, frame));
          break;
        default: {
          const v = this.eval(stmt, frame);
          out += str(v);
        }
      }
      if (out.length > MAX_STRING) throw new TemplateRuntimeError('template output is too large');
    }
    return out;
  }

  private set(stmt: AstNode, frame: Frame): void {
    let target = stmt.assignee as AstNode;
    let value: unknown;
    if (stmt.value) {
      value = this.eval(stmt.value as AstNode, frame);
    } else {
      // block set: `{% set x %}...{% endset %}`, optionally filtered: `{% set x | upper %}`
      value = this.block(stmt.body as AstNode[], new Frame(frame, this.lookup));
      if (target.type === 'FilterExpression') {
        value = this.filter(value, target.filter as AstNode, frame);
        target = target.operand as AstNode;
      }
    }
    if (target.type === 'MemberExpression' && !target.computed) {
      const obj = this.eval(target.object as AstNode, frame);
      if (!(obj instanceof Namespace)) throw new TemplateRuntimeError(`cannot assign attribute on non-namespace object '${label(target.object as AstNode)}' (use namespace())`);
      obj.set(String((target.property as AstNode).value), value);
    } else if (target.type === 'Identifier') {
      frame.vars.set(target.value as string, value);
    } else if (target.type === 'TupleLiteral') {
      const names = target.value as AstNode[];
      const items = iterate(value, 'set');
      if (items.length !== names.length) throw new TemplateRuntimeError(`cannot unpack ${items.length} values into ${names.length} names`);
      names.forEach((n, i) => frame.vars.set(n.value as string, items[i]));
    } else {
      throw new TemplateRuntimeError('only names and namespace attributes (ns.x) can be assigned with {% set %}');
    }
  }

  private forLoop(stmt: AstNode, frame: Frame): string {
    let iterNode = stmt.iterable as AstNode;
    let cond: AstNode | undefined;
    if (iterNode.type === 'SelectExpression') {
      cond = iterNode.test as AstNode;
      iterNode = iterNode.lhs as AstNode;
    }
    const target = stmt.loopvar as AstNode;
    const bind = (f: Frame, item: unknown): void => {
      if (target.type === 'Identifier') f.vars.set(target.value as string, item);
      else {
        const names = target.value as AstNode[];
        const items = iterate(item, 'for');
        if (items.length !== names.length) throw new TemplateRuntimeError(`cannot unpack ${items.length} values into ${names.length} names`);
        names.forEach((n, i) => f.vars.set(n.value as string, items[i]));
      }
    };
    let items = iterate(this.eval(iterNode, frame), 'for loop');
    if (cond) {
      items = items.filter((item) => {
        const f = new Frame(frame, this.lookup);
        bind(f, item);
        return truthy(this.eval(cond, f));
      });
    }
    let out = '';
    const inner = new Frame(frame, this.lookup);
    for (let i = 0; i < items.length; i++) {
      inner.vars.set('loop', {
        index: i + 1,
        index0: i,
        revindex: items.length - i,
        revindex0: items.length - i - 1,
        first: i === 0,
        last: i === items.length - 1,
        length: items.length,
        previtem: i > 0 ? items[i - 1] : null,
        nextitem: i < items.length - 1 ? items[i + 1] : null,
      });
      bind(inner, items[i]);
      try {
        out += this.block(stmt.body as AstNode[], inner);
      } catch (e) {
        if (e instanceof ContinueSignal) continue;
        if (e instanceof BreakSignal) break;
        throw e;
      }
    }
    if (items.length === 0) out += this.block(stmt.defaultBlock as AstNode[], frame);
    return out;
  }

  eval(node: AstNode, frame: Frame): unknown {
    switch (node.type) {
      case 'StringLiteral':
      case 'IntegerLiteral':
      case 'FloatLiteral':
        return node.value;
      case 'ArrayLiteral':
      case 'TupleLiteral':
        return (node.value as AstNode[]).map((n) => this.eval(n, frame));
      case 'ObjectLiteral': {
        const o: Record<string, unknown> = {};
        for (const [k, v] of node.value as Map<AstNode, AstNode>) {
          const key = this.eval(k, frame);
          if (typeof key !== 'string' && typeof key !== 'number') throw new TemplateRuntimeError(`dict keys must be strings, got ${typeName(key)}`);
          setOwn(o, String(key), this.eval(v, frame));
        }
        return o;
      }
      case 'Identifier': {
        const name = node.value as string;
        const v = frame.get(name);
        if (!(v instanceof Undefined)) return v;
        return GLOBALS.has(name) ? GLOBALS.get(name) : v;
      }
      case 'MemberExpression':
        return this.member(node, frame);
      case 'CallExpression':
        return this.call(node, frame);
      case 'UnaryExpression': {
        const op = (node.operator as { value: string }).value;
        const v = this.eval(node.argument as AstNode, frame);
        if (op === 'not') return !truthy(v);
        if (typeof v === 'number' || typeof v === 'boolean') return op === '-' ? -Number(v) : Number(v);
        if (v instanceof Undefined) v.fail();
        throw new TemplateRuntimeError(`bad operand type for unary ${op}: '${typeName(v)}'`);
      }
      case 'BinaryExpression':
        return this.binary(node, frame);
      case 'FilterExpression':
        return this.filter(this.eval(node.operand as AstNode, frame), node.filter as AstNode, frame);
      case 'TestExpression': {
        const v = this.eval(node.operand as AstNode, frame);
        const r = runtime.test((node.test as AstNode).value as string, v, []);
        return node.negate ? !r : r;
      }
      case 'Ternary':
        return truthy(this.eval(node.condition as AstNode, frame))
          ? this.eval(node.trueExpr as AstNode, frame)
          : this.eval(node.falseExpr as AstNode, frame);
      case 'SelectExpression':
        return truthy(this.eval(node.test as AstNode, frame)) ? this.eval(node.lhs as AstNode, frame) : '';
      default:
        throw new TemplateRuntimeError(`'${node.type}' is not supported in an expression`);
    }
  }

  private member(node: AstNode, frame: Frame): unknown {
    const obj = this.eval(node.object as AstNode, frame);
    const prop = node.property as AstNode;
    const lbl = label(node.object as AstNode);
    if (!node.computed) return getAttr(obj, prop.value, lbl);
    if (prop.type === 'SliceExpression') {
      if (obj instanceof Undefined) obj.fail();
      const opt = (n: unknown): number | undefined => {
        if (n === undefined || n === null) return undefined;
        const v = this.eval(n as AstNode, frame);
        return v === null || v instanceof Undefined ? undefined : toInt(v, 'slice');
      };
      const seq = typeof obj === 'string' ? Array.from(obj) : isList(obj) ? obj : undefined;
      if (!seq) throw new TemplateRuntimeError(`'${lbl}' (${typeName(obj)}) cannot be sliced`);
      const res = pySlice(seq, opt(prop.start), opt(prop.stop), opt(prop.step));
      return typeof obj === 'string' ? res.join('') : res;
    }
    const key = this.eval(prop, frame);
    if (key instanceof Undefined) key.fail();
    const literal = prop.type === 'StringLiteral' || prop.type === 'IntegerLiteral' || (prop.type === 'UnaryExpression' && (prop.argument as AstNode).type === 'IntegerLiteral');
    return getAttr(obj, key, lbl, literal);
  }

  private args(nodes: AstNode[], frame: Frame): [unknown[], Record<string, unknown>] {
    const args: unknown[] = [];
    const kwargs: Record<string, unknown> = {};
    for (const n of nodes) {
      if (n.type === 'KeywordArgumentExpression') {
        setOwn(kwargs, (n.key as AstNode).value as string, this.eval(n.value as AstNode, frame));
      } else if (n.type === 'SpreadExpression') {
        args.push(...iterate(this.eval(n.argument as AstNode, frame), '*args'));
      } else {
        args.push(this.eval(n, frame));
      }
    }
    return [args, kwargs];
  }

  private call(node: AstNode, frame: Frame): unknown {
    const callee = node.callee as AstNode;
    if (callee.type === 'Identifier' && (callee.value === IMPORT_FN || callee.value === FROM_FN)) {
      return this.importCall(callee.value === FROM_FN, node.args as AstNode[], frame);
    }
    const fn = this.eval(callee, frame);
    if (fn instanceof Undefined) fn.fail();
    if (!(fn instanceof Callable)) throw new TemplateRuntimeError(`'${label(node.callee as AstNode)}' (${typeName(fn)}) is not callable`);
    const [args, kwargs] = this.args(node.args as AstNode[], frame);
    // a macro may be handed an undefined value: it fails only where the macro uses it, as Jinja
    if (!(fn instanceof Macro)) for (const a of args) if (a instanceof Undefined) a.fail();
    if (fn instanceof LookupCallable) {
      const [name, ...terms] = args;
      if (typeof name !== 'string') throw new TemplateRuntimeError(`${fn.name}() needs the lookup's name first, e.g. ${fn.name}('file', 'motd.txt')`);
      return runLookup(name, terms, kwargs, this.lookupContext(), fn.wantlist);
    }
    return fn.fn(args, kwargs);
  }

  /** `{% macro name(a, b=default) %}`: Jinja's argument binding, `varargs`, `kwargs` and `caller`. */
  private macro(name: string, params: AstNode[], body: AstNode[], defined: Frame): Macro {
    const specs = params.map((p) =>
      p.type === 'KeywordArgumentExpression' ? { name: (p.key as AstNode).value as string, dflt: p.value as AstNode | undefined } : { name: p.value as string, dflt: undefined },
    );
    const used = usedNames(body);
    const catchVarargs = used.has('varargs');
    const catchKwargs = used.has('kwargs');
    const catchCaller = used.has('caller');
    return new Macro(name, (args, kwargsIn) => {
      const kwargs = { ...kwargsIn };
      if (args.length > specs.length && !catchVarargs) {
        throw new TemplateRuntimeError(`macro '${name}' takes not more than ${specs.length} argument(s)`);
      }
      const f = new Frame(defined, this.lookup);
      specs.forEach((p, i) => {
        let v: unknown;
        if (i < args.length) {
          if (Object.hasOwn(kwargs, p.name)) throw new TemplateRuntimeError(`macro '${name}' got multiple values for argument '${p.name}'`);
          v = args[i];
        } else if (Object.hasOwn(kwargs, p.name)) {
          v = kwargs[p.name];
          delete kwargs[p.name];
        } else if (p.dflt) {
          // defaults are evaluated at the call, and may use the arguments before them
          v = this.eval(p.dflt, f);
        } else {
          v = new Undefined(`parameter '${p.name}' was not provided (macro '${name}')`);
        }
        f.vars.set(p.name, v);
      });
      if (catchCaller) {
        f.vars.set('caller', Object.hasOwn(kwargs, 'caller') ? kwargs.caller : new Undefined(`'caller' is undefined: macro '${name}' was not called from {% call %}`));
        delete kwargs.caller;
      }
      if (catchVarargs) f.vars.set('varargs', args.slice(specs.length));
      if (catchKwargs) {
        f.vars.set('kwargs', kwargs);
      } else {
        const extra = Object.keys(kwargs)[0];
        if (extra !== undefined) throw new TemplateRuntimeError(`macro '${name}' takes no keyword argument '${extra}'`);
      }
      return this.block(body, f);
    });
  }

  /** `{% call(args) m(...) %}body{% endcall %}`: m gets `caller`, a macro rendering body; `{% with %}` arrives here too. */
  private callBlock(stmt: AstNode, frame: Frame): string {
    const call = stmt.call as AstNode;
    const callee = call.callee as AstNode;
    const body = stmt.body as AstNode[];
    if (callee.type === 'Identifier' && callee.value === WITH_FN) {
      // {% with a=1, b=a %}: values are evaluated outside the block (b is the outer a), names live inside it
      const inner = new Frame(frame, this.lookup);
      for (const a of call.args as AstNode[]) {
        if (a.type !== 'KeywordArgumentExpression') throw new TemplateRuntimeError('{% with %} takes name=value pairs, e.g. {% with port=80 %}');
        inner.vars.set((a.key as AstNode).value as string, this.eval(a.value as AstNode, frame));
      }
      return this.block(body, inner);
    }
    let argNodes = call.args as AstNode[];
    let target = callee;
    if (callee.type === 'Identifier' && callee.value === CALL_FN) [target = callee, ...argNodes] = argNodes;
    const fn = this.eval(target, frame);
    if (fn instanceof Undefined) fn.fail();
    if (!(fn instanceof Macro)) throw new TemplateRuntimeError(`{% call %} needs a macro, but '${label(target)}' is ${typeName(fn)}`);
    const [args, kwargs] = this.args(argNodes, frame);
    setOwn(kwargs, 'caller', this.macro('caller', (stmt.callerArgs as AstNode[] | null) ?? [], body, frame));
    return str(fn.fn(args, kwargs));
  }

  /**
   * `{% import 'f' as m %}` / `{% from 'f' import a, b %}` (rewritten by compile.ts): render the
   * file's body once, its top-level macros and variables (names not starting with `_`) are
   * what it exports. Without context (Jinja's default for both) it sees no variables, only
   * the globals (range, lookup, namespace, ...); with context it sees the importer's.
   */
  private importCall(from: boolean, argNodes: AstNode[], frame: Frame): unknown {
    const [nameNode, ctxNode, ...wanted] = argNodes;
    const name = this.eval(nameNode!, frame);
    if (typeof name !== 'string') throw new TemplateRuntimeError(`{% ${from ? 'from' : 'import'} %} needs a template file name, got ${typeName(name)}`);
    if (!this.env.load) throw new TemplateRuntimeError(`{% ${from ? 'from' : 'import'} '${name}' %} works in template files only (the template module)`);
    const depth = (this.env.depth ?? 0) + 1;
    if (depth > MAX_IMPORT_DEPTH) throw new TemplateRuntimeError(`template imports nest more than ${MAX_IMPORT_DEPTH} deep (an import cycle?)`);
    const body = this.env.load(name);
    const withContext = ctxNode?.value === 1;
    const inner = new Interpreter(withContext ? (n) => frame.get(n) : (n) => new Undefined(`'${n}' is undefined (the template '${name}' is imported without context)`), {
      ...this.env,
      pluginLookup: this.plugins,
      depth,
    });
    const top = new Frame(undefined, inner.lookup);
    inner.block(body, top);
    const exports = new Map<string, unknown>();
    for (const [k, v] of top.vars) if (!k.startsWith('_')) exports.set(k, v);
    if (!from) return new TemplateModule(exports);
    const values = wanted.map((n) => {
      const key = n.value as string;
      return exports.has(key) ? exports.get(key) : new Undefined(`the template '${name}' does not export the requested name '${key}'`);
    });
    return values.length === 1 ? values[0] : values;
  }

  private filter(value: unknown, f: AstNode, frame: Frame): unknown {
    let name: string;
    let args: unknown[] = [];
    let kwargs: Record<string, unknown> = {};
    if (f.type === 'Identifier') {
      name = f.value as string;
    } else if (f.type === 'CallExpression' && (f.callee as AstNode).type === 'Identifier') {
      name = (f.callee as AstNode).value as string;
      [args, kwargs] = this.args(f.args as AstNode[], frame);
    } else {
      throw new TemplateRuntimeError('a filter must be a name');
    }
    if (name.startsWith('__is__') || name.startsWith('__isnot__')) {
      const negate = name.startsWith('__isnot__');
      const r = runtime.test(name.slice(negate ? 9 : 6), value, args, kwargs);
      return negate ? !r : r;
    }
    // an undefined argument is an error, except for `default` whose argument may itself be tested later
    for (const a of args) if (a instanceof Undefined) a.fail();
    return runtime.filter(name, value, args, kwargs);
  }

  private binary(node: AstNode, frame: Frame): unknown {
    const op = (node.operator as { value: string }).value;
    const left = this.eval(node.left as AstNode, frame);
    if (op === 'and') return truthy(left) ? this.eval(node.right as AstNode, frame) : left;
    if (op === 'or') return truthy(left) ? left : this.eval(node.right as AstNode, frame);
    const right = this.eval(node.right as AstNode, frame);
    // strict like Ansible: comparing with an undefined value is an error, not `false`
    if (left instanceof Undefined) left.fail();
    if (right instanceof Undefined) right.fail();
    switch (op) {
      case '==':
        return equals(left, right);
      case '!=':
        return !equals(left, right);
      case '<':
        return compare(left, right) < 0;
      case '>':
        return compare(left, right) > 0;
      case '<=':
        return compare(left, right) <= 0;
      case '>=':
        return compare(left, right) >= 0;
      case 'in':
        return contains(right, left);
      case 'not in':
        return !contains(right, left);
      case '~':
        return str(left) + str(right);
    }
    return arithmetic(op, left, right);
  }
}

function isNum(v: unknown): v is number | boolean {
  return typeof v === 'number' || typeof v === 'boolean';
}

/** datetime - datetime, datetime ± timedelta, timedelta ± timedelta, as Python's datetime module. */
function timeArithmetic(op: string, a: unknown, b: unknown): unknown {
  if (op !== '+' && op !== '-') return undefined;
  const s = op === '+' ? 1 : -1;
  if (a instanceof DateTime && b instanceof DateTime && op === '-') return new TimeDelta(a.date.getTime() - b.date.getTime());
  if (a instanceof DateTime && b instanceof TimeDelta) return new DateTime(new Date(a.date.getTime() + s * b.totalMs), a.utc);
  if (a instanceof TimeDelta && b instanceof TimeDelta) return new TimeDelta(a.totalMs + s * b.totalMs);
  return undefined;
}

function arithmetic(op: string, a: unknown, b: unknown): unknown {
  const t = timeArithmetic(op, a, b);
  if (t !== undefined) return t;
  if (isNum(a) && isNum(b)) {
    const x = Number(a);
    const y = Number(b);
    switch (op) {
      case '+':
        return x + y;
      case '-':
        return x - y;
      case '*':
        return x * y;
      case '/':
        if (y === 0) throw new TemplateRuntimeError('division by zero');
        return x / y;
      case '//':
        if (y === 0) throw new TemplateRuntimeError('integer division by zero');
        return Math.floor(x / y);
      case '%':
        if (y === 0) throw new TemplateRuntimeError('modulo by zero');
        return ((x % y) + y) % y;
      case '**':
        return x ** y;
    }
  }
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (op === '+' && isList(a) && isList(b)) return [...a, ...b];
  if (op === '*' && (typeof a === 'string' || isList(a)) && typeof b === 'number') {
    if (b * (typeof a === 'string' ? a.length : a.length) > MAX_STRING) throw new TemplateRuntimeError('repetition result is too large');
    return typeof a === 'string' ? a.repeat(Math.max(0, b)) : Array.from({ length: Math.max(0, b) }, () => a).flat();
  }
  if (op === '%' && typeof a === 'string') return percentFormat(a, b);
  throw new TemplateRuntimeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

/** Python's `'%s-%d' % (a, b)` for the common conversions. */
function percentFormat(fmt: string, arg: unknown): string {
  const args = isList(arg) ? arg : [arg];
  let i = 0;
  return fmt.replace(/%([-0-9.]*)([sdirf%])/g, (_, _flags: string, conv: string) => {
    if (conv === '%') return '%';
    const v = args[i++];
    if (conv === 'd' || conv === 'i') return String(Math.trunc(Number(v)));
    if (conv === 'f') return Number(v).toFixed(6);
    if (conv === 'r') return repr(v);
    return str(v);
  });
}

export function pySlice<T>(seq: T[], start?: number, stop?: number, step = 1): T[] {
  if (step === 0) throw new TemplateRuntimeError('slice step cannot be zero');
  const n = seq.length;
  const norm = (v: number | undefined, dflt: number, lo: number, hi: number): number => {
    if (v === undefined) return dflt;
    const x = v < 0 ? v + n : v;
    return Math.min(Math.max(x, lo), hi);
  };
  const out: T[] = [];
  if (step > 0) {
    const s = norm(start, 0, 0, n);
    const e = norm(stop, n, 0, n);
    for (let i = s; i < e; i += step) out.push(seq[i]!);
  } else {
    const s = norm(start, n - 1, -1, n - 1);
    const e = norm(stop, -1, -1, n - 1);
    for (let i = s; i > e; i += step) out.push(seq[i]!);
  }
  return out;
}
