// The curl command uri builds: credentials and headers never in the command text (the host's
// process list shows it), but in the curl config that goes first on stdin, before the body.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildUriRequest, curlConfigValue } from './uri.js';

describe('buildUriRequest', () => {
  it('puts the credentials and every header in the stdin config, not in the command', () => {
    const req = buildUriRequest({
      url: 'https://api.example.org/v1',
      method: 'POST',
      body: { a: 1 },
      body_format: 'json',
      headers: { Authorization: 'Bearer tok-9f8e7d', Cookie: 'sid=c00k1e', 'X-Trace': 'abc' },
      url_username: 'alice',
      url_password: 'pa ss"w\\rd',
      force_basic_auth: true,
    });
    const text = req.command.toShell();
    for (const s of ['alice', 'pa ss', 'tok-9f8e7d', 'c00k1e', 'X-Trace', 'Content-Type']) expect(text).not.toContain(s);
    expect(text).toContain('--basic -K "$t/c" --data-binary @-');
    expect(req.stdin).toBe(
      [
        'header = "Authorization: Bearer tok-9f8e7d"',
        'header = "Cookie: sid=c00k1e"',
        'header = "X-Trace: abc"',
        'header = "Content-Type: application/json"',
        'user = "alice:pa ss\\"w\\\\rd"',
        '@@end',
        '{"a":1}',
      ].join('\n'),
    );
    expect(req.secrets).toEqual(expect.arrayContaining(['Bearer tok-9f8e7d', 'tok-9f8e7d', 'sid=c00k1e', 'alice:pa ss"w\\rd', 'pa ss"w\\rd']));
    expect(req.secrets).not.toContain('abc');
    expect(req.error).toBeUndefined();
    // the command is valid shell
    execFileSync('sh', ['-n', '-c', text]);
  });

  it('without credentials, headers or body: no config, no stdin', () => {
    const req = buildUriRequest({ url: 'http://127.0.0.1/' });
    expect(req.stdin).toBeUndefined();
    expect(req.command.toShell()).not.toContain('-K');
    expect(req.command.toShell()).not.toContain('read -r');
    expect(req.secrets).toEqual([]);
  });

  it('anyauth by default; a body alone needs no config', () => {
    const auth = buildUriRequest({ url: 'http://h/', url_username: 'u' });
    expect(auth.command.toShell()).toContain('--anyauth -K "$t/c"');
    expect(auth.stdin).toBe('user = "u:"\n@@end\n');
    const body = buildUriRequest({ url: 'http://h/', method: 'PUT', body: 'x\ny' });
    expect(body.stdin).toBe('x\ny');
    expect(body.command.toShell()).not.toContain('-K');
  });

  it('a NUL in a header or credential is an error (curl config cannot carry it)', () => {
    expect(buildUriRequest({ url: 'http://h/', headers: { 'X-A': 'a\0b' } }).error).toMatch(/NUL/);
  });
});

describe('curlConfigValue', () => {
  it('quotes and escapes as curl -K reads it', () => {
    expect(curlConfigValue('a b')).toBe('"a b"');
    expect(curlConfigValue('q"b\\s\tt\nn\rr\vv')).toBe('"q\\"b\\\\s\\tt\\nn\\rr\\vv"');
    expect(curlConfigValue('=:#')).toBe('"=:#"');
  });
});
