// The `version` test (`v is version('2.0', '>=', version_type='semver')`): Ansible compares with
// one of four version classes, and playbooks pick one on purpose (`1.0.0-rc1 < 1.0.0` holds for
// semver but not for loose), so each is its own parser here with Python's comparison rules.
import { TemplateRuntimeError } from './errors.js';

type Part = number | string;
type Cmp = -1 | 0 | 1;

const OPS: Readonly<Record<string, (c: number) => boolean>> = {
  '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0,
  '<': (c) => c < 0, lt: (c) => c < 0,
  '<=': (c) => c <= 0, le: (c) => c <= 0,
  '>': (c) => c > 0, gt: (c) => c > 0,
  '>=': (c) => c >= 0, ge: (c) => c >= 0,
  '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

export const VERSION_TYPES = ['loose', 'strict', 'semver', 'semantic', 'pep440'] as const;

const sign = (n: number): Cmp => (n < 0 ? -1 : n > 0 ? 1 : 0);

function cmpScalar(a: Part, b: Part, what: string): Cmp {
  if (typeof a !== typeof b) throw new TemplateRuntimeError(`Version comparison failed: '<' not supported between ${typeof a === 'number' ? "'int' and 'str'" : "'str' and 'int'"} (${what})`);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Python's list comparison: item by item, then the shorter list is smaller. */
function cmpLists(a: readonly Part[], b: readonly Part[], what: string): Cmp {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = cmpScalar(a[i]!, b[i]!, what);
    if (c !== 0) return c;
  }
  return sign(a.length - b.length);
}

/** distutils LooseVersion: runs of digits (numbers), runs of lower-case letters, and whatever lies between. */
function loose(v: string): Part[] {
  return v
    .split(/(\d+|[a-z]+|\.)/)
    .filter((p) => p !== '' && p !== '.')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** distutils StrictVersion: `N.N[.N][{a|b}N]`; a release without pre-release sorts after its pre-releases. */
function strict(v: string): { release: number[]; pre?: [string, number] } {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/.exec(v);
  if (!m) throw new TemplateRuntimeError(`Version comparison failed: invalid version number '${v}'`);
  return { release: [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)], ...(m[4] ? { pre: [m[4], Number(m[5])] as [string, number] } : {}) };
}

function cmpStrict(a: string, b: string): Cmp {
  const x = strict(a);
  const y = strict(b);
  const c = cmpLists(x.release, y.release, 'strict');
  if (c !== 0) return c;
  if (!x.pre || !y.pre) return x.pre ? -1 : y.pre ? 1 : 0;
  return cmpLists(x.pre, y.pre, 'strict');
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Semantic Versioning 2.0.0 precedence (build metadata ignored). */
function cmpSemver(a: string, b: string): Cmp {
  const parse = (v: string): { core: number[]; pre: Part[] } => {
    const m = SEMVER.exec(v);
    if (!m) throw new TemplateRuntimeError(`Version comparison failed: invalid semantic version '${v}'`);
    return { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [] };
  };
  const x = parse(a);
  const y = parse(b);
  const c = cmpLists(x.core, y.core, 'semver');
  if (c !== 0) return c;
  if (x.pre.length === 0 || y.pre.length === 0) return x.pre.length ? -1 : y.pre.length ? 1 : 0;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i]!;
    const q = y.pre[i]!;
    // numeric identifiers sort before alphanumeric ones
    if (typeof p !== typeof q) return typeof p === 'number' ? -1 : 1;
    const d = p < q ? -1 : p > q ? 1 : 0;
    if (d !== 0) return d;
  }
  return sign(x.pre.length - y.pre.length);
}

const PEP440 = /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

/** PEP 440 ordering: epoch, release (trailing zeros ignored), dev < pre < final < post, then local. */
function pep440Key(v: string): Array<number | Part[]> {
  const m = PEP440.exec(v);
  if (!m) throw new TemplateRuntimeError(`Version comparison failed: Invalid version: '${v}'`);
  const release = m[2]!.split('.').map(Number);
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  const preLetter = m[3]?.toLowerCase();
  const preRank = preLetter === undefined ? undefined : preLetter.startsWith('a') ? 0 : preLetter.startsWith('b') ? 1 : 2;
  const post = m[5] ?? (m[6] !== undefined ? (m[7] ?? '0') : undefined);
  const dev = m[8] !== undefined ? Number(m[9] ?? 0) : undefined;
  const INF = Number.POSITIVE_INFINITY;
  const NEG = Number.NEGATIVE_INFINITY;
  // a dev release of a final version sorts before its pre-releases
  const pre: Part[] = preRank === undefined ? (post === undefined && dev !== undefined ? [NEG] : [INF]) : [preRank, Number(m[4] ?? 0)];
  const local: Part[] = m[10] ? m[10].toLowerCase().split(/[-_.]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [];
  return [Number(m[1] ?? 0), release, pre, [post === undefined ? NEG : Number(post)], [dev ?? INF], local];
}

function cmpPep440(a: string, b: string): Cmp {
  const x = pep440Key(a);
  const y = pep440Key(b);
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (typeof p === 'number' && typeof q === 'number') {
      if (p !== q) return sign(p - q);
      continue;
    }
    const pl = p as Part[];
    const ql = q as Part[];
    if (i === 5) {
      // local segments: numbers sort after strings
      for (let j = 0; j < Math.min(pl.length, ql.length); j++) {
        const s = pl[j]!;
        const t = ql[j]!;
        if (typeof s !== typeof t) return typeof s === 'number' ? 1 : -1;
        if (s !== t) return s < t ? -1 : 1;
      }
      const d = sign(pl.length - ql.length);
      if (d !== 0) return d;
      continue;
    }
    const c = cmpLists(pl, ql, 'pep440');
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * Ansible's `version` test. `versionType` is loose (distutils LooseVersion, the default), strict,
 * semver/semantic or pep440; `strict: true` is the older spelling of `version_type='strict'`.
 */
export function versionCompare(value: string, other: string, op: string, options: { strict?: unknown; versionType?: unknown } = {}): boolean {
  const test = OPS[op];
  if (test === undefined) throw new TemplateRuntimeError(`Invalid operator type (${op}). Must be one of ${Object.keys(OPS).map((k) => `'${k}'`).join(', ')}`);
  const { strict: strictFlag, versionType } = options;
  if (strictFlag !== undefined && strictFlag !== null && versionType !== undefined && versionType !== null) throw new TemplateRuntimeError("Cannot specify both 'strict' and 'version_type'");
  if (value === '') throw new TemplateRuntimeError('Input version value cannot be empty');
  if (other === '') throw new TemplateRuntimeError('Version parameter to compare against cannot be empty');
  let type = 'loose';
  if (strictFlag === true) type = 'strict';
  else if (versionType !== undefined && versionType !== null) {
    type = typeof versionType === 'string' ? versionType : JSON.stringify(versionType);
    if (!(VERSION_TYPES as readonly string[]).includes(type)) throw new TemplateRuntimeError(`Invalid version type (${type}). Must be one of ${VERSION_TYPES.map((t) => `'${t}'`).join(', ')}`);
  }
  switch (type) {
    case 'strict':
      return test(cmpStrict(value, other));
    case 'semver':
    case 'semantic':
      return test(cmpSemver(value, other));
    case 'pep440':
      return test(cmpPep440(value, other));
    default:
      return test(cmpLists(loose(value), loose(other), 'loose'));
  }
}
