// Path filters and file tests. Like Ansible's, they run where templates render: on the
// controller (`'~' | expanduser` is the controller user's home, `is file` looks at the
// controller's disk), which playbooks use for controller-side paths (lookups, local_action).
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';
import { TemplateRuntimeError } from './errors.js';
import type { FilterFn, TestFn } from './access.js';
import { Undefined, isList, str, typeName } from './values.js';
import { globToRegExp, hasGlobChars } from '../util/glob.js';

function text(v: unknown, name: string): string {
  if (v instanceof Undefined) v.fail();
  if (typeof v !== 'string') throw new TemplateRuntimeError(`${name} expects a path string, got ${typeName(v)}`);
  return v;
}

/** Python's os.path.expanduser: `~` is $HOME (else the account's home), `~name` from /etc/passwd. */
export function expandUser(p: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!p.startsWith('~')) return p;
  const slash = p.indexOf('/');
  const name = slash < 0 ? p.slice(1) : p.slice(1, slash);
  const rest = slash < 0 ? '' : p.slice(slash);
  let home: string | undefined;
  if (name === '') home = env.HOME ?? homedir();
  else {
    try {
      home = readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .map((l) => l.split(':'))
        .find((f) => f[0] === name)?.[5];
    } catch {
      home = undefined;
    }
  }
  if (home === undefined) return p;
  return home === '/' && rest !== '' ? rest : home.replace(/\/+$/, '') + rest || '/';
}

/** Python's os.path.expandvars: `$NAME` and `${NAME}` replaced when set, left as written when not. */
export function expandVars(p: string, env: NodeJS.ProcessEnv = process.env): string {
  return p.replace(/\$(\w+|\{[^}]*\})/g, (all, name: string) => {
    const key = name.startsWith('{') ? name.slice(1, -1) : name;
    return env[key] ?? all;
  });
}

/** Python's os.path.normpath (POSIX): `.`/`..` folded, no trailing slash, a leading `//` kept. */
export function normPath(p: string): string {
  if (p === '') return '.';
  const lead = p.startsWith('//') && !p.startsWith('///') ? '//' : p.startsWith('/') ? '/' : '';
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (part === '..' && lead !== '') continue;
    else out.push(part);
  }
  return lead + out.join('/') || (lead === '' ? '.' : lead);
}

/** Python's os.path.realpath: symlinks resolved as far as the path exists; the rest appended. */
export function realPath(p: string): string {
  let head = posix.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(head);
      return tail.length === 0 ? real : posix.join(real, ...tail.reverse());
    } catch {
      if (head === '/') return posix.join('/', ...tail.reverse());
      tail.push(posix.basename(head));
      head = posix.dirname(head);
    }
  }
}

/** Python's glob.glob for one pattern (no `**`): `*` never crosses `/`, hidden names need a leading `.`. */
export function controllerGlob(pattern: string): string[] {
  const absolute = pattern.startsWith('/');
  const parts = pattern.split('/').filter((x) => x !== '');
  let bases = [absolute ? '/' : '.'];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of bases) {
      if (!hasGlobChars(part)) {
        const p = posix.join(base, part);
        if (existsSync(p)) next.push(p);
        continue;
      }
      const re = globToRegExp(part);
      let names: string[];
      try {
        names = readdirSync(base);
      } catch {
        continue;
      }
      for (const n of names.sort()) if (re.test(n) && (!n.startsWith('.') || part.startsWith('.'))) next.push(posix.join(base, n));
    }
    bases = next;
  }
  return absolute ? bases : bases.map((b) => (b.startsWith('./') ? b.slice(2) : b));
}

function isType(p: string, kind: 'file' | 'dir'): boolean {
  try {
    const s = statSync(p);
    return kind === 'file' ? s.isFile() : s.isDirectory();
  } catch {
    return false;
  }
}

export const PATH_FILTERS: Readonly<Record<string, FilterFn>> = {
  expanduser: (v) => expandUser(text(v, 'expanduser')),
  expandvars: (v) => expandVars(text(v, 'expandvars')),
  realpath: (v) => realPath(text(v, 'realpath')),
  relpath: (v, args, kwargs) => {
    const start = args[0] ?? kwargs.start ?? '.';
    return posix.relative(posix.resolve(text(start, 'relpath')), posix.resolve(text(v, 'relpath'))) || '.';
  },
  normpath: (v) => normPath(text(v, 'normpath')),
  commonpath: (v) => {
    if (!isList(v) || v.length === 0) throw new TemplateRuntimeError('|commonpath expects a non-empty sequence');
    const paths = v.map((x) => text(x, 'commonpath'));
    const abs = paths.map((x) => x.startsWith('/'));
    if (abs.some((a) => a !== abs[0])) throw new TemplateRuntimeError("commonpath: can't mix absolute and relative paths");
    const split = paths.map((x) => x.split('/').filter((s) => s !== '' && s !== '.'));
    const common: string[] = [];
    for (let i = 0; split.every((s) => i < s.length && s[i] === split[0]![i]); i++) common.push(split[0]![i]!);
    return (abs[0] ? '/' : '') + common.join('/');
  },
  win_basename: (v) => win32.basename(text(v, 'win_basename')),
  win_dirname: (v) => win32.dirname(text(v, 'win_dirname')),
  win_splitdrive: (v) => {
    const p = text(v, 'win_splitdrive');
    const m = /^([A-Za-z]:|\\\\[^\\/]+[\\/][^\\/]+)/.exec(p);
    return m ? [m[1]!, p.slice(m[1]!.length)] : ['', p];
  },
  fileglob: (v) => controllerGlob(text(v, 'fileglob')).filter((p) => isType(p, 'file')),
};

const pathTest =
  (fn: (p: string) => boolean): TestFn =>
  (v) => {
    if (v instanceof Undefined) v.fail();
    return fn(str(v));
  };

/** Ansible's file tests (`'/etc/hosts' is file`), on the controller's disk. */
export const FILE_TESTS: Readonly<Record<string, TestFn>> = (() => {
  const exists = pathTest((p) => existsSync(p));
  const file = pathTest((p) => isType(p, 'file'));
  const dir = pathTest((p) => isType(p, 'dir'));
  const link = pathTest((p) => {
    try {
      return lstatSync(p).isSymbolicLink();
    } catch {
      return false;
    }
  });
  const linkExists = pathTest((p) => {
    try {
      lstatSync(p);
      return true;
    } catch {
      return false;
    }
  });
  const abs = pathTest((p) => p.startsWith('/'));
  const same: TestFn = (v, args) => {
    try {
      const a = statSync(str(v));
      const b = statSync(str(args[0]));
      return a.dev === b.dev && a.ino === b.ino;
    } catch {
      return false;
    }
  };
  const mount = pathTest((p) => {
    try {
      const s = statSync(p);
      const parent = statSync(posix.join(p, '..'));
      return s.dev !== parent.dev || s.ino === parent.ino;
    } catch {
      return false;
    }
  });
  return {
    exists, file, is_file: file, directory: dir, is_dir: dir, link, is_link: link, link_exists: linkExists,
    abs, is_abs: abs, same_file: same, is_same_file: same, mount, is_mount: mount,
  };
})();
