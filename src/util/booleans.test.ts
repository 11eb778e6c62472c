import { describe, expect, it } from 'vitest';
import { BOOLEAN_WORDS, FALSE_WORDS, TRUE_WORDS, booleanSpellings, parseAnsibleBool, parseYaml11Bool } from './booleans.js';

describe('parseAnsibleBool', () => {
  it('reads every word of Ansible’s two sets, in any case and with blanks around', () => {
    for (const w of TRUE_WORDS) for (const s of [w, w.toUpperCase(), ` ${w} `]) expect(parseAnsibleBool(s)).toBe(true);
    for (const w of FALSE_WORDS) for (const s of [w, w.toUpperCase(), `\t${w}\n`]) expect(parseAnsibleBool(s)).toBe(false);
    expect(parseAnsibleBool('Yes')).toBe(true);
    expect(parseAnsibleBool('Off')).toBe(false);
  });

  it('is the list Ansible’s boolean() uses: y/yes/on/1/true/t and n/no/off/0/false/f', () => {
    expect([...TRUE_WORDS].sort()).toEqual(['1', 'on', 't', 'true', 'y', 'yes']);
    expect([...FALSE_WORDS].sort()).toEqual(['0', 'f', 'false', 'n', 'no', 'off']);
    expect(BOOLEAN_WORDS).toHaveLength(12);
  });

  it('takes real booleans and the numbers 1 and 0', () => {
    expect(parseAnsibleBool(true)).toBe(true);
    expect(parseAnsibleBool(false)).toBe(false);
    expect(parseAnsibleBool(1)).toBe(true);
    expect(parseAnsibleBool(0)).toBe(false);
  });

  it('is undefined for anything else, so the caller chooses the error or default', () => {
    for (const v of ['', 'maybe', 'yess', '2', 'tru e', 2, -1, 0.5, null, undefined, [], {}]) expect(parseAnsibleBool(v)).toBeUndefined();
  });
});

describe('booleanSpellings', () => {
  it('lists each word lower-case, upper-case and capitalised, each once, all parseable', () => {
    const s = booleanSpellings();
    expect(s).toEqual(expect.arrayContaining(['yes', 'YES', 'Yes', 'off', 'OFF', 'Off', 't', 'T', '1']));
    expect(new Set(s).size).toBe(s.length);
    for (const w of s) expect(parseAnsibleBool(w)).toBeTypeOf('boolean');
  });
});

describe('parseYaml11Bool', () => {
  it('reads the words YAML 1.1 makes booleans, not the single letters t/f or digits', () => {
    for (const w of ['yes', 'Yes', 'ON', 'true', 'y']) expect(parseYaml11Bool(w)).toBe(true);
    for (const w of ['no', 'NO', 'off', 'False', 'n']) expect(parseYaml11Bool(w)).toBe(false);
    for (const w of ['t', 'f', '1', '0', 'maybe', '']) expect(parseYaml11Bool(w)).toBeUndefined();
  });
});
