import { describe, expect, it } from 'vitest';
import type { ScopeLayer, VarScope } from './index.js';
import { createHostvars, createScope, render, TemplateError } from './index.js';

const layer = (name: string, vars: Record<string, unknown>, kind: 'template' | 'data' = 'template'): ScopeLayer => ({ name, vars, kind });

describe('variable precedence', () => {
  // The documented order (scope.ts): inventory < play vars < vars_files < task vars <
  // registered/set_fact < extra vars. Each layer sets `v` and its own marker; the highest
  // layer that defines `v` must win, whichever layers are left out.
  const order: ScopeLayer[] = [
    layer('inventory', { v: 'inventory' }),
    layer('play vars', { v: 'play' }),
    layer('vars_files', { v: 'vars_files' }),
    layer('task vars', { v: 'task' }),
    layer('registered', { v: 'registered' }, 'data'),
    layer('extra vars', { v: 'extra' }),
  ];
  it('each layer beats every layer before it', () => {
    for (let top = 0; top < order.length; top++) {
      const scope = createScope(order.slice(0, top + 1));
      expect(scope.get('v')).toBe(order[top]!.vars.v);
    }
  });
  it('extra vars win over registered, registered over task vars', () => {
    const scope = createScope(order);
    expect(render('{{ v }}', scope)).toBe('extra');
    expect(createScope(order.filter((l) => l.name !== 'extra vars')).get('v')).toBe('registered');
  });
  it('a child layer wins over its parent and does not change the parent', () => {
    const host = createScope(order.slice(0, 3));
    const task = host.child(layer('task vars', { v: 'task', only: 1 }));
    expect(task.get('v')).toBe('task');
    expect(host.get('v')).toBe('vars_files');
    expect(host.has('only')).toBe(false);
    expect(task.layers().map((l) => l.name)).toEqual(['inventory', 'play vars', 'vars_files', 'task vars']);
  });
});

describe('lazy rendering', () => {
  it('a template var is rendered against the scope that reads it (per host)', () => {
    const play = layer('play vars', { url: 'https://{{ domain }}/' });
    const h1 = createScope([layer('inventory', { domain: 'a.example' }), play]);
    const h2 = createScope([layer('inventory', { domain: 'b.example' }), play]);
    expect(h1.get('url')).toBe('https://a.example/');
    expect(h2.get('url')).toBe('https://b.example/');
  });
  it('a higher layer overriding a dependency changes the result', () => {
    const scope = createScope([layer('inventory', { domain: 'a' }), layer('play vars', { url: 'https://{{ domain }}/' })]);
    expect(scope.child(layer('task vars', { domain: 'task' })).get('url')).toBe('https://task/');
  });
  it('nested templates and native values resolve through several layers', () => {
    const scope = createScope([
      layer('inventory', { port: 8443, names: ['x', 'y'] }),
      layer('play vars', { listen: '{{ port }}', conf: { ports: ['{{ listen }}'], hosts: '{{ names }}' } }),
    ]);
    expect(scope.get('listen')).toBe(8443);
    expect(scope.get('conf')).toEqual({ ports: [8443], hosts: ['x', 'y'] });
  });
  it('detects cycles', () => {
    const scope = createScope([layer('play vars', { a: '{{ b }}', b: '{{ a }}', self: 'x{{ self }}' })]);
    expect(() => scope.get('a')).toThrow(TemplateError);
    expect(() => scope.get('a')).toThrow(/variable 'a' refers to itself/);
    expect(() => render('{{ self }}', scope)).toThrow(/variable 'self' refers to itself/);
    // the failure leaves nothing behind: a scope without the cycle still works
    expect(scope.child(layer('task vars', { b: 1 })).get('a')).toBe(1);
  });
  it('an undefined variable inside a var names both', () => {
    const scope = createScope([layer('play vars', { url: 'https://{{ domain }}/' })]);
    expect(() => render('{{ url }}', scope)).toThrow(/'domain' is undefined \(while resolving variable 'url' from play vars\)/);
  });
  it('the engine may add registered results to a data layer in place', () => {
    const registered = layer('registered', {}, 'data');
    const scope = createScope([layer('play vars', { msg: '{{ out.stdout }}' }), registered]);
    expect(() => scope.get('msg')).toThrow(/'out' is undefined/);
    registered.vars.out = { stdout: 'hello' };
    expect(scope.get('msg')).toBe('hello');
  });
});

describe('single pass: data is never rendered again', () => {
  const scope = createScope([
    layer('inventory', { secret: 'TOPSECRET' }),
    layer('play vars', { shown: 'out: {{ out.stdout }}', copy: '{{ out }}' }),
    layer('facts', { ansible_hostname: '{{ secret }}' }, 'data'),
    layer('registered', { out: { stdout: '{{ secret }}', lines: ['{% if true %}x{% endif %}'] }, fact: '{{ secret }}' }, 'data'),
  ]);
  it('a registered value containing {{ secret }} is printed literally', () => {
    expect(render('{{ out.stdout }}', scope)).toBe('{{ secret }}');
    expect(render('result: {{ out.stdout }}', scope)).toBe('result: {{ secret }}');
    expect(render('{{ out.lines[0] }}', scope)).toBe('{% if true %}x{% endif %}');
    expect(scope.get('shown')).toBe('out: {{ secret }}');
    expect(scope.get('copy')).toEqual({ stdout: '{{ secret }}', lines: ['{% if true %}x{% endif %}'] });
  });
  it('facts and set_fact values are data too', () => {
    expect(scope.get('ansible_hostname')).toBe('{{ secret }}');
    expect(scope.get('fact')).toBe('{{ secret }}');
    // only the `secret` variable itself holds the secret; nothing else rendered it
    const all = scope.toObject();
    expect(Object.keys(all).filter((k) => JSON.stringify(all[k]).includes('TOPSECRET'))).toEqual(['secret']);
  });
});

describe('magic variables', () => {
  it('hostvars resolves lazily through each host scope', () => {
    const scopes = new Map<string, VarScope>();
    let reads = 0;
    const play = layer('play vars', { url: 'https://{{ domain }}/' });
    const hostvars = createHostvars(
      () => scopes.keys(),
      (h) => {
        reads++;
        return scopes.get(h);
      },
    );
    const magic = (host: string, groupNames: string[]): ScopeLayer =>
      layer('magic', { inventory_hostname: host, group_names: groupNames, groups: { all: ['h1', 'h2'], web: ['h1'] }, hostvars }, 'data');
    scopes.set('h1', createScope([layer('inventory', { domain: 'one.example', broken: '{{ nope }}' }), magic('h1', ['web']), play]));
    scopes.set('h2', createScope([layer('inventory', { domain: 'two.example' }), magic('h2', []), play]));
    const h2 = scopes.get('h2')!;
    expect(render("{{ hostvars['h1'].domain }}", h2)).toBe('one.example');
    expect(render("{{ hostvars['h1']['url'] }}", h2)).toBe('https://one.example/');
    expect(render('{{ hostvars.h1.inventory_hostname }}', h2)).toBe('h1');
    expect(reads).toBeGreaterThan(0);
    // h1's broken var is not touched unless asked for
    expect(() => render("{{ hostvars['h1'].broken }}", h2)).toThrow(/'nope' is undefined/);
    expect(render("{{ groups['web'] | map('extract', hostvars, 'domain') | list }}", h2)).toEqual(['one.example']);
    expect(render('{{ inventory_hostname }} in {{ group_names | length }} groups', h2)).toBe('h2 in 0 groups');
    expect(render("{{ 'web' in group_names }}", scopes.get('h1')!)).toBe(true);
    expect(render("{{ hostvars['nohost'] is defined }}", h2)).toBe(false);
    expect(render('{{ hostvars | list }}', h2)).toEqual(['h1', 'h2']);
  });
  it('ansible_facts is an ordinary data mapping', () => {
    const scope = createScope([layer('facts', { ansible_facts: { distribution: 'Debian', distribution_major_version: '12' } }, 'data')]);
    expect(render("{{ ansible_facts['distribution'] == 'Debian' and ansible_facts.distribution_major_version | int >= 12 }}", scope)).toBe(true);
  });
});

describe('toObject', () => {
  it('resolves every variable; broken ones are left out unless strict', () => {
    const scope = createScope([layer('inventory', { a: 1, b: '{{ a + 1 }}', c: '{{ nope }}' })]);
    expect(scope.toObject()).toEqual({ a: 1, b: 2 });
    expect(() => scope.toObject({ strict: true })).toThrow(/'nope' is undefined/);
    expect(scope.keys().sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('many scopes', () => {
  // speed is the benchmark's (npm run bench); this checks that a fleet-sized run of child scopes
  // keeps every host's and task's values apart
  it('1000 hosts × 50 tasks of child scopes: each render sees its own host and task, never another\'s', () => {
    const facts = { ansible_facts: { big: Array.from({ length: 2000 }, (_, i) => ({ i, name: `n${i}` })) } };
    const play = layer('play vars', { url: 'https://{{ domain }}/', port: 443 });
    const wrong: string[] = [];
    for (let h = 0; h < 1000; h++) {
      const host = createScope([layer('inventory', { domain: `h${h}.example` }), layer('facts', facts, 'data'), play]);
      for (let t = 0; t < 50; t++) {
        const task = host.child(layer('task vars', { item: t }));
        const out = render('{{ url }}?i={{ item }}&p={{ port }}', task);
        if (out !== `https://h${h}.example/?i=${t}&p=443`) wrong.push(String(out));
        if (render('no templates in this arg', task) !== 'no templates in this arg') wrong.push('plain');
      }
    }
    expect(wrong).toEqual([]);
  });
});
