// Where the round trips go on a slow link (issue 18): one lab host behind the emulated link,
// the floor (raw ssh2, bench/tasks.ts) and runbook (bench/fleet.yml) each run twice (first and
// no-change run) with ssh2's packet log on, then a timeline per remote command: channel open
// sent/confirmed, exec sent/confirmed, stdin and EOF sent, first output, exit-status, close, and
// the controller's gap before the next command, in ms and in round trips.
//
//   sudo npx tsx bench/rtt-trace.ts [--loss PCT] [--delay MS] [--keep] [--tools floor,runbook] [--out DIR]
//   npx tsx bench/rtt-trace.ts --from DIR [--tools ...]     (the timelines of logs kept in DIR)
//
// Lab instance `rt1` (one fleet host); runbook from this checkout's dist/ (npm run build first).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import ssh2 from 'ssh2';
import { labDown, labUp, startSlowLink, checkSlowLink, slowLinkStats } from '../src/lab/index.js';
import { sleep } from '../src/lab/exec.js';
import { floorCommands } from './tasks.js';

const REPO = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    loss: { type: 'string', default: '0' },
    delay: { type: 'string', default: '40' },
    keep: { type: 'boolean', default: false },
    tools: { type: 'string', default: 'floor,runbook' },
    out: { type: 'string', default: '/tmp/rt-trace' },
    // only print the timelines of an earlier run's logs (TOOL-first.log, TOOL-second.log)
    from: { type: 'string' },
  },
});
const delayMs = Number(values.delay);
const rtt = 2 * delayMs;
const outDir = values.out;
if (values.from === undefined) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
}

interface Line {
  t: number;
  text: string;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function readTrace(file: string): Line[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const sp = l.indexOf(' ');
      return { t: Number(l.slice(0, sp)), text: l.slice(sp + 1) };
    });
}

interface Chan {
  id: number;
  open: number;
  marks: Array<{ t: number; what: string }>;
  /** the command started: channel open, or (a session started ahead) its script written */
  start?: number;
  closeIn?: number;
  sentData: boolean;
}

/**
 * The timeline: each channel from its CHANNEL_OPEN to its close (ssh2 reuses channel numbers:
 * a new open starts a new record), the command's start (the open, or for a session started
 * ahead, the script written to it), and the controller's gap before each command.
 */
function analyse(label: string, lines: Line[], startedAt: number): string {
  const out: string[] = [`== ${label}`];
  const first = lines[0];
  if (!first) return `${label}: no trace`;
  const ready = lines.find((l) => l.text.includes('USERAUTH_SUCCESS'));
  out.push(`process start -> first packet: ${(first.t - startedAt).toFixed(0)} ms; first packet -> auth success: ${ready ? (ready.t - first.t).toFixed(0) : '?'} ms (${ready ? ((ready.t - first.t) / rtt).toFixed(1) : '?'} RTT)`);
  const byLocal = new Map<number, Chan>();
  const remoteToLocal = new Map<number, number>();
  const chans: Chan[] = [];
  for (const l of lines) {
    const m = /(Outbound|Inbound): (?:Sending |Received )?([A-Z_]+)(?: \(([^)]*)\))?/.exec(l.text);
    if (!m) continue;
    const [, dir, type, args = ''] = m;
    const r = /r:(\d+)/.exec(args);
    if (!r) continue;
    const id = Number(r[1]);
    if (dir === 'Outbound' && type === 'CHANNEL_OPEN') {
      const c: Chan = { id, open: l.t, marks: [], sentData: false };
      byLocal.set(id, c);
      chans.push(c);
      continue;
    }
    if (dir === 'Inbound' && type === 'CHANNEL_OPEN_CONFIRMATION') {
      const sm = /s:(\d+)/.exec(args);
      if (sm) remoteToLocal.set(Number(sm[1]), id);
    }
    const local = dir === 'Inbound' ? id : remoteToLocal.get(id);
    const c = local === undefined ? undefined : byLocal.get(local);
    if (!c) continue;
    const arrow = dir === 'Outbound' ? '>' : '<';
    let tag: string;
    if (type === 'CHANNEL_OPEN_CONFIRMATION') tag = 'open-ok';
    else if (type === 'CHANNEL_REQUEST') tag = args.includes('exec') ? 'exec' : args.replace(/^r:\d+, /, '').replace(/:.*/, '');
    else if (type === 'CHANNEL_SUCCESS') tag = 'exec-ok';
    else if (type === 'CHANNEL_DATA') tag = `data(${args.replace(/^r:\d+, /, '')})`;
    else if (type === 'CHANNEL_EXTENDED_DATA') tag = `err(${args.replace(/^r:\d+, /, '')})`;
    else if (type === 'CHANNEL_EOF') tag = 'eof';
    else if (type === 'CHANNEL_CLOSE') tag = 'close';
    else if (type === 'CHANNEL_WINDOW_ADJUST') tag = 'win';
    else tag = type ?? '?';
    if (dir === 'Outbound' && type === 'CHANNEL_DATA' && !c.sentData) {
      c.sentData = true;
      const execOk = c.marks.find((x) => x.what === '<exec-ok');
      // written long after the exec was confirmed: a session started ahead, its command starts now
      if (execOk && l.t - execOk.t > rtt / 2) c.start = l.t;
    }
    if (dir === 'Inbound' && type === 'CHANNEL_CLOSE') c.closeIn = l.t;
    c.marks.push({ t: l.t, what: `${arrow}${tag}` });
  }
  let prevEnd = ready?.t;
  let totalCmd = 0;
  let totalGap = 0;
  let n = 0;
  const ordered = chans.map((c) => ({ c, start: c.start ?? c.open })).sort((a, b) => a.start - b.start);
  for (const { c, start } of ordered) {
    // a session started ahead and never used is closed by us first; a command's, by the server
    const firstClose = c.marks.find((x) => x.what === '>close' || x.what === '<close');
    const used = c.start !== undefined || firstClose?.what === '<close';
    const end = c.closeIn ?? c.marks[c.marks.length - 1]?.t ?? start;
    const rel = (t: number): string => ((t - start) / rtt).toFixed(2);
    const marks = c.marks.map((x) => `${x.what}@${rel(x.t)}`).join(' ');
    if (!used) {
      out.push(`  (session started ahead, never used: opened at +${((c.open - (ready?.t ?? first.t)) / 1000).toFixed(2)} s) ${marks}`);
      continue;
    }
    n++;
    const gap = prevEnd === undefined ? 0 : Math.max(0, start - prevEnd);
    totalGap += gap;
    totalCmd += end - start;
    prevEnd = end;
    out.push(`  #${n} ${c.start !== undefined ? 'ahead' : 'exec '} gap ${gap.toFixed(0).padStart(3)}ms | ${(end - start).toFixed(0).padStart(4)} ms = ${((end - start) / rtt).toFixed(2)} RTT | ${marks}`);
  }
  // Per command from the starts alone (tasks run one after the other on a host): an exec'd
  // command starts with its CHANNEL_OPEN, one in a session started ahead when runbook notes it
  // used (its CHANNEL_OPEN is followed at once by a "started" note)
  const starts: Array<{ t: number; how: string }> = [];
  lines.forEach((l, i) => {
    if (l.text.includes('runbook: spare') && l.text.endsWith(' used')) starts.push({ t: l.t, how: 'ahead' });
    else if (/Sending CHANNEL_OPEN \(r:\d+, session\)/.test(l.text) && !lines[i + 1]?.text.includes('runbook: spare')) starts.push({ t: l.t, how: 'exec ' });
  });
  // the last command's exit status (the sessions never used are closed after it, by us)
  const lastClose = [...lines].reverse().find((l) => l.text.includes('exit-status'));
  out.push('per command, start to next start (controller gap included):');
  starts.forEach((st, i) => {
    const next = starts[i + 1]?.t ?? lastClose?.t ?? st.t;
    out.push(`  ${String(i + 1).padStart(2)} ${st.how} ${(next - st.t).toFixed(0).padStart(4)} ms = ${((next - st.t) / rtt).toFixed(2)} RTT`);
  });
  const endT = lines[lines.length - 1]!.t;
  out.push(`commands ${n}: in commands ${totalCmd.toFixed(0)} ms (${(totalCmd / rtt).toFixed(1)} RTT), controller gaps ${totalGap.toFixed(0)} ms (${(totalGap / rtt).toFixed(1)} RTT); first packet -> last packet ${(endT - first.t).toFixed(0)} ms`);
  return out.join('\n');
}

async function floorRun(lab: Awaited<ReturnType<typeof labUp>>, root: string, trace: string): Promise<number> {
  const { appendFileSync } = await import('node:fs');
  const h = lab.hosts[0]!;
  const t0 = now();
  const conn = new ssh2.Client();
  await new Promise<void>((res, rej) => {
    conn.on('ready', () => {
      conn.setNoDelay(true);
      res();
    });
    conn.on('error', rej);
    conn.connect({
      host: h.address,
      port: h.port,
      username: lab.users.nopasswd.name,
      privateKey: readFileSync(lab.keyFile),
      debug: (line: string) => appendFileSync(trace, `${now().toFixed(1)} ${line.replace(/(exec|env): [\s\S]*\)$/, '$1)')}\n`),
    });
  });
  for (const c of floorCommands(root, h.name)) {
    await new Promise<void>((res, rej) =>
      conn.exec(c, (err, s) => {
        if (err) return rej(err);
        s.on('data', () => undefined);
        s.stderr.on('data', () => undefined);
        s.on('close', () => res());
      }),
    );
  }
  conn.end();
  return t0;
}

function runbookRun(lab: Awaited<ReturnType<typeof labUp>>, root: string, trace: string): number {
  const t0 = now();
  const r = spawnSync('node', [join(REPO, 'bin', 'runbook.js'), 'apply', 'bench/fleet.yml', '-i', lab.inventoryFile, '--json', '-e', `bench_root=${root}`], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, RUNBOOK_SSH_TRACE: trace },
  });
  if (r.status !== 0) console.log(`runbook exited ${String(r.status)}: ${r.stderr.slice(0, 2000)}`);
  console.log(`runbook wall ${(now() - t0).toFixed(0)} ms`);
  return t0;
}

if (values.from !== undefined) {
  for (const tool of values.tools.split(',')) {
    for (const run of ['first', 'second']) {
      const trace = readTrace(join(values.from, `${tool}-${run}.log`));
      console.log(analyse(`${tool} ${run}`, trace, trace[0]?.t ?? 0));
    }
  }
  process.exit(0);
}

const lab = await labUp({ name: 'rt1', fleet: 1, log: () => undefined });
try {
  await startSlowLink(lab, { hosts: [lab.hosts[0]!.name], delayMs, lossPct: Number(values.loss), seed: 7 });
  const check = await checkSlowLink(lab, lab.hosts[0]!.name, 10);
  console.log(`link: rtt min/median/max ${check.rttMs.min.toFixed(1)}/${check.rttMs.median.toFixed(1)}/${check.rttMs.max.toFixed(1)} ms`);
  const tools = values.tools.split(',');
  for (const tool of tools) {
    const root = `/tmp/runbook-bench/rt-trace/${tool}`;
    spawnSync("rm", ["-rf", root]);
    for (const run of ['first', 'second']) {
      const trace = join(outDir, `${tool}-${run}.log`);
      await sleep(1100);
      const before = slowLinkStats(lab);
      const t0 = tool === 'floor' ? await floorRun(lab, root, trace) : runbookRun(lab, root, trace);
      const t1 = now();
      await sleep(1100);
      const after = slowLinkStats(lab);
      console.log(analyse(`${tool} ${run}`, readTrace(trace), t0));
      if (before && after) {
        const d = (k: 'up' | 'down', f: 'packets' | 'dropped' | 'bytes'): number => after[k][f] - before[k][f];
        console.log(`wall ${(t1 - t0).toFixed(0)} ms; link packets up ${d('up', 'packets')} (${d('up', 'dropped')} dropped, ${d('up', 'bytes')} B), down ${d('down', 'packets')} (${d('down', 'dropped')} dropped, ${d('down', 'bytes')} B)`);
      }
    }
  }
} finally {
  if (!values.keep) await labDown({ name: 'rt1', log: () => undefined });
}
