import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSecretFile, secretFileFact } from './secret-file.js';

describe('secret file fact', () => {
  it('reports mode, owner and the SHA-256, never the content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-secret-'));
    const file = join(dir, 'creds.ini');
    writeFileSync(file, 'dns_rfc2136_secret = c2VjcmV0\n');
    chmodSync(file, 0o600);
    const out = execFileSync('/bin/sh', ['-c', secretFileFact(file).command.toShell()]).toString();
    expect(out).not.toContain('c2VjcmV0');
    const st = parseSecretFile(out);
    expect(st).toMatchObject({ exists: true, mode: '600', sha256: createHash('sha256').update('dns_rfc2136_secret = c2VjcmV0\n').digest('hex') });
    expect(parseSecretFile(execFileSync('/bin/sh', ['-c', secretFileFact(join(dir, 'none')).command.toShell()]).toString())).toEqual({ exists: false });
  });
});
