// Variable scopes: an ordered stack of layers, later layers win. This is where Ansible's
// variable precedence lives. The order runbook builds (lowest first), by layer name:
//
//   1. inventory      host vars merged by src/inventory (all < parent group < child group
//                     < host; group_vars/ and host_vars/ files over inventory-file vars)
//   2. magic          inventory_hostname, group_names, groups, hostvars, ansible_facts
//                     (engine-provided, kind 'data')
//   3. facts          gathered facts as top-level ansible_* names (kind 'data')
//   4. play vars      play `vars:`
//   5. vars_files     play `vars_files:`, in listed order (a later file wins)
//   6. role vars      (reserved: roles are not supported yet)
//   7. block vars     enclosing blocks' `vars:`, outer to inner
//   8. task vars      task `vars:`
//   9. loop           the loop variable (`item` or loop_control.loop_var), `ansible_loop`,
//                     index_var
//  10. registered     `register:` results and `set_fact:` values (kind 'data')
//  11. extra vars     `-e` (always wins)
//
// Template layers (kind 'template') hold values as written by the user: strings inside are
// rendered when read, against the scope that reads them (so `url: "https://{{ domain }}/"`
// in play vars picks up each host's `domain`). Data layers (kind 'data': registered results,
// facts, set_fact values) are returned exactly as stored and never rendered, even if they
// contain `{{` — values that came from a host are data, not code (single pass).
//
// Layers are not copied: a child scope holds a pointer to its parent and one new layer, so
// a task's scope costs one small object. Resolved values are not cached either, which lets
// the engine add registered results to a data layer's `vars` object in place.
import { TemplateError } from './errors.js';
import type { Lookup } from './interpret.js';
import { renderValue } from './render.js';
import { LazyMapping, Undefined, setOwn } from './values.js';

export interface ScopeLayer {
  /** for messages and debugging, e.g. `play vars`, `task vars`, `extra vars` */
  name: string;
  vars: Record<string, unknown>;
  /** 'template': strings are rendered on access; 'data': returned as-is, never rendered */
  kind: 'template' | 'data';
}

export class VarScope extends LazyMapping {
  private resolving: Set<string> | undefined;

  private constructor(
    private readonly parent: VarScope | undefined,
    readonly layer: ScopeLayer | undefined,
  ) {
    super();
  }

  static of(layers: readonly ScopeLayer[]): VarScope {
    let scope = new VarScope(undefined, undefined);
    // indexed: a scope is made per task and host (a for-of allocates per layer in unoptimised code)
    for (let i = 0; i < layers.length; i++) scope = new VarScope(scope, layers[i]);
    return scope;
  }

  /** A scope with one more layer on top (wins over everything in this scope). Cheap. */
  child(layer: ScopeLayer): VarScope {
    return new VarScope(this, layer);
  }

  /** Layers from lowest to highest precedence. */
  layers(): ScopeLayer[] {
    const below = this.parent ? this.parent.layers() : [];
    return this.layer ? [...below, this.layer] : below;
  }

  /** The highest layer that defines `name`. */
  private owner(name: string): ScopeLayer | undefined {
    if (this.layer && Object.hasOwn(this.layer.vars, name)) return this.layer;
    return this.parent?.owner(name);
  }

  has(name: string): boolean {
    return this.owner(name) !== undefined;
  }

  /** The variable's value (rendered if it comes from a template layer), or undefined. */
  get(name: string): unknown {
    const layer = this.owner(name);
    return layer ? this.valueIn(layer, name) : undefined;
  }

  private valueIn(layer: ScopeLayer, name: string): unknown {
    const raw = layer.vars[name];
    if (layer.kind === 'data') return raw;
    this.resolving ??= new Set();
    if (this.resolving.has(name)) {
      throw new TemplateError(`variable '${name}' refers to itself`, typeof raw === 'string' ? raw : '');
    }
    this.resolving.add(name);
    try {
      return renderValue(raw, this);
    } catch (err) {
      if (err instanceof TemplateError && !err.reason.includes('while resolving variable')) {
        throw new TemplateError(`${err.reason} (while resolving variable '${name}' from ${layer.name})`, err.template, { cause: err });
      }
      throw err;
    } finally {
      this.resolving.delete(name);
    }
  }

  #lookup: Lookup | undefined;

  /**
   * For templates: a missing name is an `Undefined` marker, not an error (yet). Made when first
   * asked for: a task's scope is a chain of a dozen or more scopes, and templates read only the top one.
   */
  get lookup(): Lookup {
    return (this.#lookup ??= (name) => {
      // Ansible's `vars`: every variable of this scope as a mapping, resolved on access (a
      // LazyMapping has no way to change the scope: templates only read through get/has/keys)
      // one walk down the layers: the layer that has the name is the one get() would read
      const layer = this.owner(name);
      if (!layer && name === 'vars') return this;
      const v = layer ? this.valueIn(layer, name) : undefined;
      return v === undefined ? new Undefined(`'${name}' is undefined`) : v;
    });
  }

  keys(): string[] {
    const seen = new Set<string>();
    for (const layer of this.layers()) for (const k of Object.keys(layer.vars)) seen.add(k);
    return [...seen];
  }

  /**
   * Every variable, resolved: a snapshot for `debug: var=vars` and module contexts. A
   * variable whose template fails (for example it uses a variable this host does not have)
   * is left out unless `strict` is set, since Ansible too only fails on variables in use.
   */
  toObject(options: { strict?: boolean } = {}): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of this.keys()) {
      try {
        setOwn(out, k, this.get(k));
      } catch (err) {
        if (options.strict || !(err instanceof TemplateError)) throw err;
      }
    }
    return out;
  }
}

export function createScope(layers: readonly ScopeLayer[]): VarScope {
  return VarScope.of(layers);
}

/**
 * `hostvars` for templates: `hostvars['h1'].domain` resolves `domain` in h1's own scope,
 * on access, and only that one variable.
 */
export function createHostvars(hosts: () => Iterable<string>, scopeOf: (host: string) => VarScope | undefined): LazyMapping {
  return new (class extends LazyMapping {
    get(key: string): unknown {
      // only real scopes: a lookup like scopes['constructor'] must not leak anything else
      const s = scopeOf(key);
      return s instanceof VarScope ? s : undefined;
    }
    has(key: string): boolean {
      return scopeOf(key) instanceof VarScope;
    }
    keys(): string[] {
      return [...hosts()];
    }
  })();
}
