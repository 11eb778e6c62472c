// Summarise a V8 CPU profile (`node --cpu-prof`) so a slow spot has a file and a function name:
//
//   npx tsx bench/profile.ts bench/results/<run>/prof/*.cpuprofile [--top 25]
//
// Prints self time by function, self time by file, and inclusive time by function (what a
// function and everything it calls cost), all as milliseconds and share of the profile.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function where(cf: CallFrame): string {
  let file = cf.url;
  if (file.startsWith('file://')) file = relative(process.cwd(), fileURLToPath(file));
  if (file === '') return cf.functionName || '(native)';
  return `${file}:${cf.lineNumber + 1} ${cf.functionName || '(anonymous)'}`;
}

function fileOf(cf: CallFrame): string {
  if (cf.url === '') return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  const f = cf.url.startsWith('file://') ? relative(process.cwd(), fileURLToPath(cf.url)) : cf.url;
  // group dependencies by package, our own code by file
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f);
  return m ? `node_modules/${m[1]}` : f;
}

function top(map: Map<string, number>, n: number, totalUs: number): string {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${(us / 1000).toFixed(0).padStart(8)} ms ${((us / totalUs) * 100).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');
}

function summarise(file: string, n: number): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const parent = new Map<number, number>();
  for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const totalUs = p.endTime - p.startTime;

  const selfFn = new Map<string, number>();
  const selfFile = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    selfFn.set(where(node.callFrame), (selfFn.get(where(node.callFrame)) ?? 0) + us);
    selfFile.set(fileOf(node.callFrame), (selfFile.get(fileOf(node.callFrame)) ?? 0) + us);
    // inclusive: charge every distinct function on the stack once
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)?.callFrame;
      if (!cf || cf.functionName === '(root)') continue;
      const k = where(cf);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + us);
    }
  }
  return [
    `# ${file}: ${(totalUs / 1000).toFixed(0)} ms profiled`,
    '',
    '## self time by function',
    top(selfFn, n, totalUs),
    '',
    '## self time by file (dependencies by package)',
    top(selfFile, n, totalUs),
    '',
    '## inclusive time by function',
    top(incl, n, totalUs),
  ].join('\n');
}

const args = process.argv.slice(2);
const ti = args.indexOf('--top');
const n = ti >= 0 ? Number(args[ti + 1]) || 25 : 25;
const files = args.filter((a, i) => a !== '--top' && (ti < 0 || i !== ti + 1));
if (files.length === 0) {
  process.stderr.write('usage: npx tsx bench/profile.ts FILE.cpuprofile... [--top N]\n');
  process.exitCode = 1;
} else {
  for (const f of files) process.stdout.write(`${summarise(f, n)}\n\n`);
}
