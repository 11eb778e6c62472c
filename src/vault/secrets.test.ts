import { describe, expect, it } from 'vitest';
import { maskAll, SecretRegistry, secretForms } from './secrets.js';

describe('secrets', () => {
  it('masks the longest first, so no tail of a longer secret shows', () => {
    expect(maskAll('x abcdef y abc', ['abc', 'abcdef'])).toBe('x ******** y ********');
  });

  it('masks the forms common filters give a secret, inside other text', () => {
    const r = new SecretRegistry();
    r.add('Pa55"word/ü');
    const b64 = Buffer.from('Pa55"word/ü').toString('base64');
    const text = `raw=Pa55"word/ü b64=${b64} json=${JSON.stringify({ p: 'Pa55"word/ü' })} url=${encodeURIComponent('Pa55"word/ü')} up=PA55"WORD/Ü`;
    const masked = r.mask(text);
    expect(masked).not.toMatch(/Pa55|PA55|UGE1NS/i);
    expect(masked.match(/\*{8}/g)).toHaveLength(5);
  });

  it('registers a vault file\'s string and number leaves, not short ones or booleans', () => {
    const r = new SecretRegistry();
    r.addLeaves({ a: 'long-enough', b: 'no', c: 123456, d: true, e: [{ f: 'nested-value' }] });
    expect(r.values).toEqual(expect.arrayContaining(['long-enough', '123456', 'nested-value']));
    expect(r.values).not.toContain('no');
    expect(r.values).not.toContain('true');
  });

  it('a multi-line secret is masked line by line too (diffs show lines)', () => {
    const key = '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----\n';
    expect(secretForms(key)).toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
    const r = new SecretRegistry();
    r.add(key);
    expect(r.mask('+MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')).toBe('+********');
  });

  it('the live list: a value added later is masked by a holder of the same array', () => {
    const r = new SecretRegistry();
    const held = r.values;
    expect(maskAll('late-secret', held)).toBe('late-secret');
    r.add('late-secret');
    expect(maskAll('late-secret', held)).toBe('********');
  });
});
