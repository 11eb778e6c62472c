// Second step of `npm run build`: bundle tsc's output (dist/cli/main.js) into dist/bundle/, which
// bin/runbook.js runs.
//
// Why: Node's ESM loader resolves, reads and compiles each file on its own. runbook's CLI pulled in
// about 380 files (its own ~230 plus yaml, diff, ...) before doing anything, which cost 0.52 CPU-s
// per start of `runbook apply` on this machine, more than the whole ten-task run on one host. The
// bundle is a few chunks (one per lazily loaded command, via splitting) and starts in about 0.24
// CPU-s. Packages with native code (ssh2's optional bindings, better-sqlite3) and ajv (loaded with
// createRequire only when a schema must be compiled at run time) stay in node_modules.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });

await build({
  // apt-proxy-main is started as its own process by the lab (src/lab/full.ts finds it next to the
  // module that starts it, so it must sit beside the bundle's chunks)
  entryPoints: { main: join(root, 'dist/cli/main.js'), 'apt-proxy-main': join(root, 'dist/lab/apt-proxy-main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['ssh2', 'better-sqlite3', 'ajv'],
  // CommonJS packages inside an ESM bundle call require() for Node's built-ins
  banner: { js: "import { createRequire as __runbookCreateRequire } from 'node:module'; const require = __runbookCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
