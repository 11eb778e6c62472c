import { describe, expect, it } from 'vitest';
import { registerArgSecrets } from './secrets.js';

describe('secrets from task arguments', () => {
  it('a module\'s secret arguments, whoever wrote them', () => {
    const list: string[] = [];
    registerArgSecrets(list, ['url_password'], { url: 'https://x', url_password: 'literal-pw' }, { url: 'https://x', url_password: 'literal-pw' }, { url: 'https://x', url_password: 'literal-pw' }, false);
    expect(list).toContain('literal-pw');
    expect(list).not.toContain('https://x');
  });

  it('no_log: what came out of a template, not the literals', () => {
    const list: string[] = [];
    registerArgSecrets(list, [], { cmd: 'echo {{ token }}', chdir: '/tmp' }, { cmd: 'echo tok-123', chdir: '/tmp' }, {}, true);
    expect(list).toContain('echo tok-123');
    expect(list).not.toContain('/tmp');
    const none: string[] = [];
    registerArgSecrets(none, [], { cmd: 'echo {{ token }}' }, { cmd: 'echo tok-123' }, {}, false);
    expect(none).toEqual([]);
  });
});
