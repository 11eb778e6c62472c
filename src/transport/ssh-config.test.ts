import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { first, lookupSshConfig } from './ssh-config.js';

describe('lookupSshConfig', () => {
  it('reads a file once for many hosts and sees it again when it changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-sshcfg-'));
    const file = join(dir, 'config');
    writeFileSync(file, 'Host web*\n  User alice\n  Port 2222\nHost *\n  User nobody\n');
    expect(first(lookupSshConfig('web1', [file]), 'user')).toBe('alice');
    expect(first(lookupSshConfig('db1', [file]), 'user')).toBe('nobody');
    expect(first(lookupSshConfig('web2', [file]), 'port')).toBe('2222');
    // same size, new mtime: the new content counts
    writeFileSync(file, 'Host web*\n  User carol\n  Port 2222\nHost *\n  User nobody\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(first(lookupSshConfig('web1', [file]), 'user')).toBe('carol');
    expect(lookupSshConfig('web1', [join(dir, 'missing')])).toEqual({});
  });
});
