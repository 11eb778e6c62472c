// Where vault passwords come from, as Ansible users already give them:
//   --vault-id LABEL@SOURCE | SOURCE    (several; SOURCE is a file, an executable, or `prompt`)
//   --vault-password-file FILE          (= --vault-id default@FILE)
//   --ask-vault-pass                    (= --vault-id default@prompt)
//   ANSIBLE_VAULT_IDENTITY_LIST         (comma-separated vault ids, tried before the flags')
//   ANSIBLE_VAULT_PASSWORD_FILE         (used when no --vault-password-file is given)
//   ANSIBLE_VAULT_IDENTITY              (the label of unlabelled sources; default `default`)
// An executable file is run and its stdout is the password; one named `*-client[.ext]` is asked
// for a label with `--vault-id LABEL` (Ansible's client scripts).
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import { DEFAULT_VAULT_ID } from './format.js';
import type { VaultPassword } from './keyring.js';

export interface VaultFlags {
  vaultIds?: readonly string[];
  passwordFiles?: readonly string[];
  askVaultPass?: boolean;
}

export interface PasswordIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** read a line without echo from the terminal; throws when there is none */
  prompt(message: string): Promise<string>;
}

const SCRIPT_TIMEOUT_MS = 60_000;

/** `label@source` or `source`, as Ansible splits it (the first @; a path may not contain one before the label). */
export function splitVaultId(spec: string, defaultLabel: string): { id: string; source: string } {
  const at = spec.indexOf('@');
  if (at === -1) return { id: defaultLabel, source: spec };
  return { id: spec.slice(0, at) || defaultLabel, source: spec.slice(at + 1) };
}

/** The vault id specs in Ansible's order: the environment's list, then --vault-id, then files, then the prompt. */
export function vaultIdSpecs(flags: VaultFlags, env: NodeJS.ProcessEnv): string[] {
  const label = nonEmpty(env.ANSIBLE_VAULT_IDENTITY) ?? DEFAULT_VAULT_ID;
  const specs: string[] = [];
  for (const s of (env.ANSIBLE_VAULT_IDENTITY_LIST ?? '').split(',')) if (s.trim() !== '') specs.push(s.trim());
  specs.push(...(flags.vaultIds ?? []));
  const files = flags.passwordFiles !== undefined && flags.passwordFiles.length > 0 ? flags.passwordFiles : [nonEmpty(env.ANSIBLE_VAULT_PASSWORD_FILE)].filter((f): f is string => f !== undefined);
  for (const f of files) specs.push(`${label}@${f}`);
  if (flags.askVaultPass === true) specs.push(`${label}@prompt`);
  return specs;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

/** Read every password the flags and the environment name. Problems are usage errors (exit 1). */
export async function loadVaultPasswords(flags: VaultFlags, io: PasswordIo): Promise<VaultPassword[]> {
  const label = nonEmpty(io.env.ANSIBLE_VAULT_IDENTITY) ?? DEFAULT_VAULT_ID;
  const out: VaultPassword[] = [];
  const prompted = new Map<string, Buffer>();
  for (const spec of vaultIdSpecs(flags, io.env)) {
    const { id, source } = splitVaultId(spec, label);
    if (source === 'prompt' || source === 'prompt_ask_vault_pass') {
      // one prompt per label, however many times it is named
      let pw = prompted.get(id);
      if (pw === undefined) {
        const text = await io.prompt(id === DEFAULT_VAULT_ID ? 'Vault password: ' : `Vault password (${id}): `);
        if (text === '') throw new UsageError(`the vault password for '${id}' given at the prompt is empty`);
        pw = Buffer.from(text, 'utf8');
        prompted.set(id, pw);
      }
      out.push({ id, password: pw, source: 'prompt' });
      continue;
    }
    const file = resolve(io.cwd, source);
    out.push({ id, password: await passwordFromFile(file, id, io.env), source: source });
  }
  return out;
}

async function passwordFromFile(file: string, id: string, env: NodeJS.ProcessEnv): Promise<Buffer> {
  let st;
  try {
    st = await stat(file);
  } catch {
    throw new UsageError(`the vault password file ${file} was not found`);
  }
  if (!st.isFile()) throw new UsageError(`the vault password file ${file} is not a regular file`);
  let pw: Buffer;
  if ((st.mode & 0o111) !== 0) {
    const stem = basename(file, extname(file));
    const args = stem.endsWith('-client') ? ['--vault-id', id] : [];
    pw = stripLineEnds(await runScript(file, args, env));
    if (pw.length === 0) throw new UsageError(`the vault password script ${file} printed no password`);
  } else {
    try {
      // Ansible strips surrounding whitespace, then line ends
      pw = stripLineEnds(Buffer.from((await readFile(file)).toString('utf8').trim(), 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read the vault password file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (pw.length === 0) throw new UsageError(`the vault password file ${file} is empty`);
  }
  return pw;
}

function stripLineEnds(b: Buffer): Buffer {
  let start = 0;
  let end = b.length;
  while (start < end && (b[start] === 0x0a || b[start] === 0x0d)) start++;
  while (end > start && (b[end - 1] === 0x0a || b[end - 1] === 0x0d)) end--;
  return b.subarray(start, end);
}

/** Run a password script; its stderr goes to ours (it may ask for a passphrase), never its stdout. */
function runScript(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Buffer> {
  return new Promise((resolvePw, reject) => {
    const child = spawn(file, args, { env, stdio: ['inherit', 'pipe', 'inherit'], timeout: SCRIPT_TIMEOUT_MS });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (e) => reject(new UsageError(`the vault password script ${file} could not run: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolvePw(Buffer.concat(chunks));
      // Ansible's client scripts exit 2 for "no secret for this vault id"
      const why = signal !== null ? `was stopped by ${signal}` : code === 2 && args.length > 0 ? `has no password for vault id '${args[1] ?? ''}' (exit 2)` : `exited with ${String(code)}`;
      reject(new UsageError(`the vault password script ${file} ${why}`));
    });
  });
}
