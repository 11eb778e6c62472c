import { describe, expect, it } from 'vitest';
import { EXIT, EXIT_CODES, exitCodesHelp, exitMeaning } from './errors.js';

describe('exit codes (one definition)', () => {
  it('are 0, 1, 2, 4, 8 and 130, each with a meaning', () => {
    expect(EXIT_CODES).toEqual([0, 1, 2, 4, 8, 130]);
    expect(exitMeaning(EXIT.ok)).toBe('all ok');
    expect(exitMeaning(EXIT.hostFailed)).toBe('some host failed');
    expect(exitMeaning(EXIT.hostUnreachable)).toBe('some host unreachable, none failed');
    expect(exitMeaning(EXIT.partlyDeferred)).toMatch(/^partly deferred/);
    expect(exitMeaning(EXIT.interrupted)).toBe('interrupted');
    expect(exitMeaning(EXIT.usage)).toBe('error');
    expect(exitMeaning(99)).toBe('error');
  });

  it('give the --help section, one aligned line per code', () => {
    expect(exitCodesHelp()).toBe(
      [
        'Exit codes:',
        '  0    success: every host ok',
        '  1    usage or validation error (nothing was run)',
        '  2    some host failed',
        '  4    some host unreachable (and none failed)',
        '  8    partly deferred: the hosts that ran are ok, some were deferred (weekly certificate budget)',
        '  130  interrupted (Ctrl-C)',
      ].join('\n'),
    );
  });
});
