// The argument spec checker and validator (pure): Ansible's messages for each kind of problem,
// its conversions, nested options, and what a role's spec may not contain.
import { describe, expect, it } from 'vitest';
import { checkArgumentSpec, checkRoleArgumentSpecs, validateArguments, type ArgumentSpec } from './argument-spec.js';

const spec = (options: unknown, role = true): ArgumentSpec => {
  const r = checkArgumentSpec(options, role);
  expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return r.spec;
};

describe('validateArguments', () => {
  it('required options missing are named, sorted, in one message', () => {
    const s = spec({ b_str: { type: 'str', required: true }, b_int: { type: 'int', required: true }, b_bool: { type: 'bool', required: true } });
    expect(validateArguments(s, { b_bool: 7 }).errors).toEqual([
      'missing required arguments: b_int, b_str',
      "argument 'b_bool' is of type int and we were unable to convert to bool: The value 7 is not a valid boolean.  Valid booleans include: 0, 1, 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'",
    ]);
  });

  it('converts as Ansible does: numeric text to int, a,b text to a list, yes to a bool, numbers to text', () => {
    const s = spec({ port: { type: 'int' }, hosts: { type: 'list', elements: 'str' }, on: { type: 'bool' }, name: { type: 'str' }, ratio: { type: 'float' }, size: { type: 'bytes' } });
    const r = validateArguments(s, { port: '8080', hosts: 'a,b', on: 'yes', name: 42, ratio: '0.5', size: '2K' });
    expect(r.errors).toEqual([]);
    expect(r.validated).toMatchObject({ port: 8080, hosts: ['a', 'b'], on: true, name: '42', ratio: 0.5, size: 2048 });
  });

  it('type errors name the option, the value\'s type and the wanted type', () => {
    const s = spec({ port: { type: 'int' }, opts: { type: 'dict' }, items: { type: 'list' }, ratio: { type: 'float' } });
    expect(validateArguments(s, { port: 'eighty', opts: ['a'], items: { a: 1 }, ratio: 'x' }).errors).toEqual([
      "argument 'port' is of type str and we were unable to convert to int: <class 'str'> cannot be converted to an int",
      "argument 'opts' is of type list and we were unable to convert to dict: <class 'list'> cannot be converted to a dict",
      "argument 'items' is of type dict and we were unable to convert to list: <class 'dict'> cannot be converted to a list",
      "argument 'ratio' is of type str and we were unable to convert to float: <class 'str'> cannot be converted to a float",
    ]);
  });

  it('a null value is checked only when the option is required or has a default', () => {
    const s = spec({ a: { type: 'int' }, b: { type: 'int', required: true }, c: { type: 'list', required: true } });
    expect(validateArguments(s, { a: null, b: null, c: null }).errors).toEqual([
      "argument 'b' is of type NoneType and we were unable to convert to int: <class 'NoneType'> cannot be converted to an int",
      "argument 'c' is of type NoneType and we were unable to convert to list: <class 'NoneType'> cannot be converted to a list",
    ]);
  });

  it('choices: one value, or each item of a list', () => {
    const s = spec({ mode: { choices: ['fast', 'safe'] }, tags: { type: 'list', choices: ['a', 'b'] } });
    expect(validateArguments(s, { mode: 'slow', tags: ['a', 'c', 'd'] }).errors).toEqual([
      'value of mode must be one of: fast, safe, got: slow',
      'value of tags must be one or more of: a, b. Got no match for: c, d',
    ]);
    expect(validateArguments(s, { mode: 'safe', tags: ['b'] }).errors).toEqual([]);
  });

  it('a default that is not None is validated like a given value; defaults fill validated, not the variables', () => {
    const s = spec({ level: { type: 'int', default: 'high' }, mode: { type: 'str', default: 'safe' } });
    expect(validateArguments(s, {}).errors).toEqual(["argument 'level' is of type str and we were unable to convert to int: <class 'str'> cannot be converted to an int"]);
    const params = {};
    expect(validateArguments(spec({ mode: { default: 'safe' } }), params).validated).toEqual({ mode: 'safe' });
    expect(params).toEqual({});
  });

  it('elements: each item converted, the bad ones named', () => {
    const s = spec({ ports: { type: 'list', elements: 'int' } });
    const r = validateArguments(s, { ports: [80, '443', 'http'] });
    expect(r.errors).toEqual(["Elements value for option 'ports' is of type str and we were unable to convert to int: <class 'str'> cannot be converted to an int"]);
    expect(r.validated.ports).toEqual([80, 443]);
  });

  it('nested options of a dict and of a list of dicts: required, types and choices with their context', () => {
    const s = spec({
      users: { type: 'list', elements: 'dict', options: { name: { type: 'str', required: true }, shell: { choices: ['bash', 'sh'] } } },
      db: { type: 'dict', options: { port: { type: 'int' }, tls: { type: 'dict', options: { level: { type: 'int', required: true } } } } },
    });
    expect(validateArguments(s, { users: [{ name: 'a' }, { shell: 'zsh' }], db: { port: 'x', tls: { level: 'high' } } }).errors).toEqual([
      'missing required arguments: name found in users',
      'value of shell must be one of: bash, sh, got: zsh found in users',
      "argument 'port' is of type str found in 'db'. and we were unable to convert to int: <class 'str'> cannot be converted to an int",
      "argument 'level' is of type str found in 'db -> tls'. and we were unable to convert to int: <class 'str'> cannot be converted to an int",
    ]);
    expect(validateArguments(s, { users: ['a'], db: 'x' }).errors).toEqual([
      "Elements value for option 'users' is of type str and we were unable to convert to dict: dictionary requested, could not parse JSON or key=value",
      "argument 'db' is of type str and we were unable to convert to dict: dictionary requested, could not parse JSON or key=value",
      "value of 'db' must be of type dict or list of dicts",
    ]);
  });

  it('names the spec does not have are unsupported (a role parameter not in the spec fails, as in Ansible)', () => {
    const s = spec({ port: { type: 'int' }, db: { type: 'dict', options: { host: {} } } });
    expect(validateArguments(s, { port: 1, message: 'hi', db: { hots: 'x' } }).errors).toEqual(['db.hots, message. Supported parameters include: db, port.']);
  });

  it('validate_argument_spec specs: aliases, apply_defaults, and no_log values masked in messages', () => {
    const s = spec({ path: { aliases: ['dest'], required: true }, conf: { type: 'dict', apply_defaults: true, options: { level: { type: 'int', default: 3 } } }, token: { no_log: true, choices: ['x'] } }, false);
    const r = validateArguments(s, { dest: '/tmp/x', token: 'hunter2' });
    expect(r.errors).toEqual(['value of token must be one of: x, got: ********']);
    expect(r.validated).toMatchObject({ path: '/tmp/x', conf: { level: 3 } });
  });

  it('dict from key=value text and from JSON text; bits; json', () => {
    const s = spec({ d: { type: 'dict' }, j: { type: 'dict' }, b: { type: 'bits' }, js: { type: 'json' }, bad: { type: 'dict' } });
    const r = validateArguments(s, { d: 'a=1 b="x y"', j: '{"k": [1]}', b: '1Mb', js: { a: 1 }, bad: 'nope' });
    expect(r.errors).toEqual(["argument 'bad' is of type str and we were unable to convert to dict: dictionary requested, could not parse JSON or key=value"]);
    expect(r.validated).toMatchObject({ d: { a: '1', b: 'x y' }, j: { k: [1] }, b: 1048576, js: '{"a":1}' });
  });
});

describe('checkArgumentSpec / checkRoleArgumentSpecs', () => {
  it('an unknown type is an error with the type Ansible calls it', () => {
    const r = checkArgumentSpec({ port: { type: 'integer' }, name: { type: 'string' }, x: { elements: 'strr', type: 'list' } }, true, ['options']);
    expect(r.problems.map((p) => [p.severity, p.path.join('.'), p.message])).toEqual([
      ['error', 'options.port.type', 'option `port`: unknown type "integer"; did you mean `int`?'],
      ['error', 'options.name.type', 'option `name`: unknown type "string"; did you mean `str`?'],
      ['error', 'options.x.elements', 'option `x`: unknown elements "strr"; did you mean `str`?'],
    ]);
  });

  it('required with a default, choices not a list, a spec that is not a mapping: errors', () => {
    const r = checkArgumentSpec({ a: { required: true, default: 1 }, b: { choices: 5 }, c: 'str', d: { required: 'maybe' } }, true);
    expect(r.problems.map((p) => p.path.join('.'))).toEqual(['a.default', 'b.choices', 'c', 'd.required']);
    expect(r.problems.every((p) => p.severity === 'error')).toBe(true);
    expect(Object.keys(r.spec)).toEqual([]);
  });

  it('fields a role spec cannot use, unknown fields and sub-options on a str: warnings, ignored', () => {
    const r = checkArgumentSpec({ pw: { no_log: true }, o: { aliases: ['x'], choice: ['a'] }, s: { type: 'str', options: { a: {} } } }, true);
    expect(r.problems.map((p) => [p.severity, p.path.join('.')])).toEqual([
      ['warning', 'pw.no_log'],
      ['warning', 'o.aliases'],
      ['warning', 'o.choice'],
      ['warning', 's.options'],
    ]);
    expect(r.problems[2]?.message).toContain('did you mean `choices`?');
    expect(r.spec).toEqual({ pw: {}, o: {}, s: { type: 'str' } });
  });

  it('entry points: each one\'s options and short description; a non-mapping entry is an error', () => {
    const r = checkRoleArgumentSpecs({ main: { short_description: 'Main', options: { a: { type: 'int' } } }, other: { options: null }, bad: [1] });
    expect(r.entries).toEqual({ main: { short_description: 'Main', options: { a: { type: 'int' } } }, other: { options: {} } });
    expect(r.problems.map((p) => p.path.join('.'))).toEqual(['bad']);
  });
});
