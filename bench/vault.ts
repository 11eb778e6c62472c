// `npm run bench:vault`: what Ansible Vault costs a run. The same run twice, interleaved, K times
// (default 5, medians): 500 hosts (default) see 20 group variables, plain in one inventory and
// 20 inline `!vault` values (each with its own salt, as `ansible-vault encrypt_string` makes
// them) in the other; one controller-only debug task renders all 20 on every host, so every
// host reads every value. No host is contacted (debug runs on the controller). The difference of
// the medians is the vault's cost: 20 key derivations (PBKDF2, 10,000 rounds, by design slow)
// and 20 decryptions, once per run, never once per host.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encryptVault } from '../src/vault/format.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PASSWORD = 'bench-vault-password';

const { values } = parseArgs({ options: { hosts: { type: 'string', default: '500' }, values: { type: 'string', default: '20' }, runs: { type: 'string', default: '5' } } });
const hosts = Number(values.hosts);
const count = Number(values.values);
const runs = Number(values.runs);

function inventory(dir: string, vaulted: boolean): string {
  mkdirSync(join(dir, 'group_vars'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const plain = `secret-value-${i}-${'x'.repeat(24)}`;
    if (!vaulted) lines.push(`v${i}: ${plain}`);
    else {
      const text = encryptVault(Buffer.from(plain), Buffer.from(PASSWORD));
      lines.push(`v${i}: !vault |\n${text.split('\n').map((l) => `  ${l}`).join('\n')}`);
    }
  }
  writeFileSync(join(dir, 'group_vars', 'all.yml'), `${lines.join('\n')}\n`);
  const names = Array.from({ length: hosts }, (_, i) => `    n${String(i).padStart(4, '0')}:`);
  writeFileSync(join(dir, 'inventory.yml'), `all:\n  hosts:\n${names.join('\n')}\n`);
  return join(dir, 'inventory.yml');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

const root = mkdtempSync(join(tmpdir(), 'runbook-bench-vault-'));
try {
  const uses = Array.from({ length: count }, (_, i) => `{{ v${i} | length }}`).join(' ');
  writeFileSync(join(root, 'site.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: "${uses}"\n`);
  writeFileSync(join(root, 'pass'), `${PASSWORD}\n`);
  const plainInv = inventory(join(root, 'plain'), false);
  const vaultInv = inventory(join(root, 'vault'), true);
  const time = (inv: string, vault: boolean): number => {
    const args = [join(REPO, 'bin/runbook.js'), 'apply', join(root, 'site.yml'), '-i', inv, '-c', 'local', '--forks', '50', '--json'];
    if (vault) args.push('--vault-password-file', join(root, 'pass'));
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const recap = r.stdout.trim().split('\n').at(-1) ?? '';
    if (r.status !== 0 || !recap.includes('"recap"')) throw new Error(`runbook exited ${String(r.status)}: ${r.stderr.slice(0, 2000)}`);
    if (vault && r.stdout.includes('secret-value-')) throw new Error('a vaulted value reached the output');
    return ms;
  };
  const plain: number[] = [];
  const vault: number[] = [];
  for (let k = 0; k < runs; k++) {
    plain.push(time(plainInv, false));
    vault.push(time(vaultInv, true));
  }
  const p = median(plain);
  const v = median(vault);
  const fmt = (xs: number[]): string => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
  process.stdout.write(
    `${hosts} hosts x ${count} group variables, one debug task rendering all of them per host, ${runs} interleaved runs\n` +
      `  plain:   ${fmt(plain)}\n  vaulted: ${fmt(vault)}\n  vault cost: ${(v - p).toFixed(0)} ms per run\n`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
