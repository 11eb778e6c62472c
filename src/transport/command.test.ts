import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { joinWith, MASK, maskSecrets, quote, raw, rawCommand, secret, sh, ShellCommand } from './command.js';

// what the shell really receives: print each argument on its own line
function argsSeenByShell(command: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `set -- ${command}; for a in "$@"; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('quote', () => {
  it('leaves safe words alone and quotes everything else', () => {
    expect(quote('abc-1.2/x:y=z,@%+')).toBe('abc-1.2/x:y=z,@%+');
    expect(quote('')).toBe("''");
    expect(quote('a b')).toBe("'a b'");
  });

  it('round-trips hostile values through a real shell', () => {
    const values = ["it's", 'a b', '$(touch /tmp/pwned)', '`id`', 'x;y', '*', '~', 'new\nline', '"q"', '\\', "''", '-n'];
    expect(argsSeenByShell(values.map(quote).join(' '))).toEqual(values);
  });
});

describe('sh and secrets', () => {
  it('quotes interpolated values, keeps raw text and nests commands', () => {
    const file = "my file's.txt";
    const inner = sh`grep -q ${'x y'} ${file}`;
    const cmd = sh`test -f ${file} && ${inner} ${raw('|| exit 1')}`;
    expect(cmd.toShell()).toBe(`test -f 'my file'\\''s.txt' && grep -q 'x y' 'my file'\\''s.txt' || exit 1`);
    expect(sh`echo ${['a b', 'c']} ${3} ${true}`.toShell()).toBe("echo 'a b' c 3 true");
    expect(() => sh`echo ${{}}`).toThrow(TypeError);
  });

  it('sends secrets but shows and serialises them masked', () => {
    const pw = "s3cr'et pass";
    const cmd = sh`mysql -p${secret(pw)} -e ${'select 1'}`;
    expect(argsSeenByShell(cmd.toShell().replace(/^mysql /, ''))).toEqual([`-p${pw}`, '-e', 'select 1']);
    expect(cmd.toDisplay()).toBe(`mysql -p${MASK} -e 'select 1'`);
    expect(String(cmd)).not.toContain('s3cr');
    expect(JSON.stringify({ cmd: secret(pw) })).not.toContain('s3cr');
    expect(sh`a ${sh`b ${secret('x1')}`}`.secrets()).toEqual(['x1']);
  });

  it('masks a nested secret in the text shown whichever rendering is asked first, and shows plain commands as sent', () => {
    const inner = sh`b ${secret('x1')}`;
    const shownFirst = sh`a ${inner} ${'c d'}`;
    expect(shownFirst.toDisplay()).toBe(`a b ${MASK} 'c d'`);
    expect(shownFirst.toShell()).toBe("a b x1 'c d'");
    expect(shownFirst.secrets()).toEqual(['x1']);
    const sentFirst = sh`a ${sh`b ${secret('x1')}`} ${sh`e ${secret('x2')}`}`;
    expect(sentFirst.toShell()).toBe('a b x1 e x2');
    expect(sentFirst.toDisplay()).toBe(`a b ${MASK} e ${MASK}`);
    expect(sentFirst.secrets()).toEqual(['x1', 'x2']);
    // the list handed out is a copy: changing it changes nothing inside
    sentFirst.secrets().push('x3');
    expect(sentFirst.secrets()).toEqual(['x1', 'x2']);
    const plain = sh`ls ${"it's"}`;
    expect(plain.toDisplay()).toBe(plain.toShell());
    expect(plain.secrets()).toEqual([]);
  });

  it('masks every occurrence of every secret in text', () => {
    expect(maskSecrets('pw=hunter2 again hunter2; other=abc', ['hunter2', 'abc', ''])).toBe(`pw=${MASK} again ${MASK}; other=${MASK}`);
    expect(rawCommand('echo $HOME | wc -c').toShell()).toBe('echo $HOME | wc -c');
  });
});

describe('quoting values', () => {
  it('quotes a value repeated in one command the same each time', () => {
    const p = "it's here";
    expect(argsSeenByShell(sh`${p} ${p} ${'x'} ${p}`.toShell())).toEqual([p, p, 'x', p]);
  });
});

describe('building nested commands', () => {
  it('gives the same text and secrets whether the inner commands were built before or not', () => {
    const make = () => {
      const a = sh`printf %s ${secret('pw-a')} > ${'/tmp/a b'}`;
      const b = sh`echo ${'x'} ${secret('pw-b')}`;
      return { a, b, outer: joinWith([sh`{ ${a}; }`, b, sh`${[a, b]}`], ' && ') };
    };
    const fresh = make();
    const built = make();
    // one inner command built (and kept) first, the other not
    built.a.toShell();
    expect(built.outer.toShell()).toBe(fresh.outer.toShell());
    expect(fresh.outer.toShell()).toBe("{ printf %s pw-a > '/tmp/a b'; } && echo x pw-b && printf %s pw-a > '/tmp/a b' echo x pw-b");
    expect(new Set(built.outer.secrets())).toEqual(new Set(['pw-a', 'pw-b']));
    expect(new Set(fresh.outer.secrets())).toEqual(new Set(['pw-a', 'pw-b']));
    expect(fresh.outer.toDisplay()).not.toMatch(/pw-/);
    expect(fresh.outer.toDisplay()).toContain(MASK);
    // the inner commands render on their own afterwards too
    expect(fresh.b.toShell()).toBe('echo x pw-b');
    expect(fresh.b.secrets()).toEqual(['pw-b']);
  });

  it('joins with a separator, and nothing for one or no command', () => {
    expect(joinWith([sh`a`, sh`b ${'c d'}`, sh`e`], '; ').toShell()).toBe("a; b 'c d'; e");
    expect(joinWith([sh`a`], ' && ').toShell()).toBe('a');
    expect(joinWith([], ' && ').toShell()).toBe('');
  });
});

describe('ShellCommand.built', () => {
  it('sends, shows and masks what the command it was made from does, and nests the same', () => {
    const pw = 's3cret pass';
    const tree = sh`mkdir -p ${'/srv/a dir'} && ${joinWith([sh`echo ${secret(pw)}`, sh`chmod ${'0755'} ${'/srv/a dir'}`], '; ')}`;
    const built = ShellCommand.built(tree);
    expect(built.toShell()).toBe(tree.toShell());
    expect(built.toDisplay()).toBe(tree.toDisplay());
    expect(built.toDisplay()).not.toContain(pw);
    expect(built.secrets()).toEqual([pw]);
    const outer = sh`( ${built} ) || exit 1`;
    expect(outer.toShell()).toBe(sh`( ${tree} ) || exit 1`.toShell());
    expect(outer.toDisplay()).not.toContain(pw);
    expect(outer.secrets()).toEqual([pw]);
  });

  it('keeps none of the parts it was built from', () => {
    const tree = sh`printf '%s\\n' ${'a'.repeat(300)} ${'b'}`;
    const built = ShellCommand.built(tree);
    expect(built.parts).toHaveLength(1);
    expect(built.parts[0]).not.toBeInstanceOf(ShellCommand);
    expect(execFileSync('sh', ['-c', built.toShell()], { encoding: 'utf8' })).toBe(`${'a'.repeat(300)}\nb\n`);
  });
});
