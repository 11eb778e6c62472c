// Second step of `npm run build`: bundle tsc's output (dist/cli/main.js) into dist/bundle/, which
// bin/runbook.js runs, and train the bundle's code cache.
//
// Why: Node's ESM loader resolves, reads and compiles each file on its own. runbook's CLI pulled in
// about 380 files (its own ~230 plus yaml, diff, ...) before doing anything, which cost 0.52 CPU-s
// per start of `runbook apply` on this machine, more than the whole ten-task run on one host. As a
// few ES module chunks it started in about 0.23 CPU-s, of which V8's compiling of the chunks was
// the largest part. Node 20 keeps no code cache for ES modules, so the CLI is now one CommonJS
// file (main.cjs) that bin/runbook.js compiles with V8's code cache of the last run of the same
// command (src/cli/code-cache.ts); the training runs below make the first caches, so that a fresh
// build starts fast too. better-sqlite3 (native code found by its own path search) and ajv
// (loaded with createRequire only when a schema must be compiled at run time) stay in
// node_modules; ssh2 is bundled, its native parts are not (below).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WRAPPER_END, WRAPPER_START } from '../dist/cli/code-cache.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['ssh2', 'better-sqlite3', 'ajv'],
  logLevel: 'warning',
};

// apt-proxy-main is started as its own process by the lab (src/lab/full.ts finds it next to the
// module that starts it, so it must sit beside the CLI's bundle)
await build({
  ...common,
  entryPoints: { 'apt-proxy-main': join(root, 'dist/lab/apt-proxy-main.js') },
  outdir,
  format: 'esm',
  // CommonJS packages inside an ESM bundle call require() for Node's built-ins
  banner: { js: "import { createRequire as __runbookCreateRequire } from 'node:module'; const require = __runbookCreateRequire(import.meta.url);" },
});

// The CLI: one CommonJS file. The commands' lazy import()s become calls of functions in the same
// file (no dynamic import is left: vm.Script, which compiles it, has no loader for one), and
// import.meta.url is the bundle's own URL.
const main = join(outdir, 'main.cjs');
// ssh2 and its pure-JavaScript dependencies (asn1, bcrypt-pbkdf, tweetnacl) go into the bundle, so
// that their code is in the code cache too: compiling them as node_modules files cost a real
// `apply` about 20 ms of CPU. What ssh2 loads from native code (its crypto binding, cpu-features,
// both optional) is resolved at run time from ssh2's own directory in node_modules, as ssh2 would
// itself. (After an update of ssh2 in node_modules, `npm run build` again, as for every bundled
// package.)
const ssh2Native = {
  name: 'ssh2-native',
  setup(b) {
    b.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => {
      if (!args.importer.includes('/node_modules/ssh2/')) return undefined;
      const spec = args.path === 'cpu-features' ? 'cpu-features' : join(dirname(args.importer), args.path).replace(/.*\/node_modules\/ssh2\/lib\//, './');
      return { path: spec, namespace: 'ssh2-native' };
    });
    b.onLoad({ filter: /.*/, namespace: 'ssh2-native' }, (args) => ({
      contents: `const { createRequire } = require('node:module');\nmodule.exports = require(createRequire(createRequire(__filename).resolve('ssh2')).resolve(${JSON.stringify(args.path)}));`,
      loader: 'js',
    }));
  },
};
// ssh2's index loads everything the package offers: besides the client and its key parser (all
// runbook uses of it: transport/ssh.ts, transport/private-keys.ts), its SSH server, key
// generation and HTTP(S) agents, which load node:http, node:https and TLS: 16 built-in modules
// and about 10 ms of every start of the CLI (`runbook apply` on one host: 177 → 167 ms CPU,
// perf stat, 15 runs x 4). In the bundle the package is what runbook uses of it; the tests, which
// start ssh2 servers, import the package itself.
const ssh2Client = {
  name: 'ssh2-client',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]ssh2[\\/]lib[\\/]index\.js$/ }, (args) => ({
      contents: "'use strict';\nconst { parseKey } = require('./protocol/keyParser.js');\nmodule.exports = { Client: require('./client.js'), utils: { parseKey } };\n",
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};
await build({
  ...common,
  external: ['better-sqlite3', 'ajv'],
  plugins: [ssh2Native, ssh2Client],
  entryPoints: [join(root, 'dist/cli/main.js')],
  outfile: main,
  format: 'cjs',
  supported: { 'dynamic-import': false },
  inject: [join(root, 'scripts/import-meta-url.js')],
  define: { 'import.meta.url': 'importMetaUrl' },
  // Node's CommonJS wrapper, written here rather than added when loading: V8 then compiles the
  // file's text as it was read, without first copying it into one string with the wrapper
  banner: { js: WRAPPER_START },
  footer: { js: WRAPPER_END },
});

// esbuild writes code as ASCII (its default charset escapes the rest); only comments it keeps may
// hold other characters. src/cli/code-cache.ts reads the bundle as latin1, the cheapest decoding, so
// those become '?' (one UTF-16 unit each, as before: the source map's columns stay right).
const text = readFileSync(main, 'utf8');
const lines = text.split('\n');
lines.forEach((line, i) => {
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(line) && !/^\s*(?:\/\/|\/\*|\*)/.test(line)) throw new Error(`${main}:${i + 1}: a non-ASCII character outside a comment`);
});
// eslint-disable-next-line no-control-regex
if (/[^\x00-\x7f]/.test(text)) writeFileSync(main, text.replace(/[^\x00-\x7f]/g, '?'));

// Training: each run leaves the code cache of its command (main.cjs.COMMAND.cache); run through
// bin/runbook.js so that V8's flags are those the cache will be used with. Only reads files of
// this repository. The first real apply replaces apply's training cache once.
const bin = join(root, 'bin', 'runbook.js');
// `final`: the training does what real runs of the command do (apply's listing loads and checks
// the playbook but runs nothing on hosts, so the first real apply that adds to it replaces it).
const training = [
  { args: ['--version'], final: true },
  { args: ['validate', 'playbooks/allmon3.yml', 'playbooks/dms.yml', '-i', 'examples/fleet/inventory.yml'], final: true },
  { args: ['apply', 'playbooks/allmon3.yml', '-i', 'examples/fleet/inventory.yml', '--list-tasks'], final: false },
  { args: ['apply', 'bench/fleet.yml', '-i', 'examples/fleet/inventory.yml', '--list-tasks'], final: false },
];
for (const { args, final } of training) {
  const env = { ...process.env, RUNBOOK_CODE_CACHE: final ? 'build-final' : 'build' };
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  // a cache is only an optimisation: the build goes on without one, but says so
  if (r.status !== 0) process.stderr.write(`scripts/bundle.js: training run \`runbook ${args.join(' ')}\` exited ${r.status ?? r.signal}; its code cache may be missing\n${r.stderr}`);
}
