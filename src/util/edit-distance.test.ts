import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from './edit-distance.js';

describe('editDistance', () => {
  it('counts inserts, deletes, changes, and a swap of neighbours as one', () => {
    expect(editDistance('copy', 'copy')).toBe(0);
    expect(editDistance('cpy', 'copy')).toBe(1);
    expect(editDistance('copyy', 'copy')).toBe(1);
    expect(editDistance('cipy', 'copy')).toBe(1);
    expect(editDistance('cpoy', 'copy')).toBe(1);
    expect(editDistance('nope', 'copy')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('didYouMean', () => {
  const modules = ['copy', 'file', 'lineinfile', 'service', 'apt', 'command', 'snap', 'uri'];

  it('suggests a name one typo away', () => {
    expect(didYouMean('lineinfle', modules)).toBe('lineinfile');
    expect(didYouMean('cpoy', modules)).toBe('copy');
    expect(didYouMean('servce', modules)).toBe('service');
  });

  it('suggests nothing when no name is close enough (`runbook doc nope` is not `copy`)', () => {
    expect(didYouMean('nope', modules)).toBeUndefined();
    expect(didYouMean('xyz', modules)).toBeUndefined();
    expect(didYouMean('anything', [])).toBeUndefined();
  });

  it('prefers a left-out letter to a changed one, and the same collection prefix', () => {
    expect(didYouMean('taks', ['tags', 'tasks'])).toBe('tasks');
    expect(didYouMean('community.general.apt', ['community.general.apk', 'ansible.builtin.apt', 'apt'])).toBe('ansible.builtin.apt');
  });

  it('ignores case', () => {
    expect(didYouMean('Hosts', ['hosts', 'vars', 'children'])).toBe('hosts');
  });
});
