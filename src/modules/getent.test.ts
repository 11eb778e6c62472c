// getent's records as Ansible's module builds them (Python's str.split semantics, repeated keys).
import { describe, expect, it } from 'vitest';
import { getentRecords, planGetent } from './getent.js';

describe('getent records', () => {
  it('whitespace split drops empty ends and runs; a repeated key becomes a list of its records', () => {
    const out = '127.0.0.1       localhost\n::1  localhost ip6-localhost\n127.0.0.1  other\n127.0.0.1 third x\n';
    expect(getentRecords(out, undefined)).toEqual({
      '127.0.0.1': [['localhost'], ['other'], ['third', 'x']],
      '::1': ['localhost', 'ip6-localhost'],
    });
  });

  it("':' split keeps empty fields", () => {
    expect(getentRecords('adm:x:4:\nroot:x:0:0:root:/root:/bin/bash\n', ':')).toEqual({ adm: ['x', '4', ''], root: ['x', '0', '0', 'root', '/root', '/bin/bash'] });
  });

  it('the fact is getent_<database>; a missing key with fail_key false maps to null', () => {
    expect(planGetent({ database: 'passwd', key: 'root' }, { rc: 0, stdout: 'root:x:0:0:root:/root:/bin/sh\n', stderr: '' }).facts).toEqual({ ansible_facts: { getent_passwd: { root: ['x', '0', '0', 'root', '/root', '/bin/sh'] } } });
    expect(planGetent({ database: 'passwd', key: 'nosuch', fail_key: false }, { rc: 2, stdout: '', stderr: '' }).facts).toEqual({ ansible_facts: { getent_passwd: { nosuch: null } } });
  });
});
