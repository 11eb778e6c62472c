// `runbook vault encrypt|decrypt|view|edit|create|encrypt_string|rekey`: ansible-vault's
// commands, byte-compatible (a file made by one opens in the other), plus the vault flags that
// apply and validate share (VAULT_OPTIONS, withVaultArgs).
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { Command, CommandIo, OptionSpec, ParsedArgs } from '../command.js';
import { askHidden } from '../prompt.js';
import { UsageError, ValidationError } from '../../util/errors.js';
import { shlexSplit } from '../../util/shlex.js';
import { isVaultText } from '../../vault/format.js';
import { Keyring, VaultError } from '../../vault/keyring.js';
import { loadVaultPasswords, type VaultFlags } from '../../vault/passwords.js';
import { withKeyring } from '../../vault/scope.js';
import type { SecretRegistry } from '../../vault/secrets.js';

/** The flags every command that reads vaults takes (apply, validate, vault). */
export const VAULT_OPTIONS: OptionSpec = {
  'vault-id': { type: 'string', multiple: true },
  'vault-password-file': { type: 'string', multiple: true },
  'vault-pass-file': { type: 'string', multiple: true },
  'ask-vault-pass': { type: 'boolean', short: 'J' },
};

export const VAULT_HELP = `  -J, --ask-vault-pass        ask for the vault password
      --vault-password-file F password of vault id 'default' from file F (an executable
                              F is run and prints it); ANSIBLE_VAULT_PASSWORD_FILE
      --vault-id [LABEL@]SRC  a vault password with its label: SRC is a file, an
                              executable or 'prompt' (repeatable); ANSIBLE_VAULT_IDENTITY_LIST
`;

function strings(v: ParsedArgs['values'][string]): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

function flagsFrom(args: ParsedArgs): VaultFlags {
  const v = args.values;
  return {
    vaultIds: strings(v['vault-id']),
    passwordFiles: [...strings(v['vault-password-file']), ...strings(v['vault-pass-file'])],
    askVaultPass: v['ask-vault-pass'] === true,
  };
}

/** The keyring the vault flags and ANSIBLE_VAULT_* variables describe (empty when none). */
export async function keyringFromArgs(args: ParsedArgs, io: CommandIo, confirm = false): Promise<Keyring> {
  const passwords = await loadVaultPasswords(flagsFrom(args), {
    env: io.env,
    cwd: io.cwd,
    prompt: async (message) => {
      const instead = `${message.replace(/:\s*$/, '')}: a prompt needs a terminal; use --vault-password-file FILE or --vault-id LABEL@FILE`;
      const pw = await askHidden(io, confirm ? `New ${message}` : message, instead);
      if (confirm && (await askHidden(io, `Confirm new ${message.charAt(0).toLowerCase()}${message.slice(1)}`, instead)) !== pw) {
        throw new UsageError('the passwords do not match');
      }
      return pw;
    },
  });
  const idMatch = io.env.ANSIBLE_VAULT_ID_MATCH;
  return new Keyring(passwords, { idMatch: idMatch !== undefined && /^(1|true|yes|on)$/i.test(idMatch.trim()) });
}

/**
 * Run a command (apply, validate) under the keyring of its flags: every YAML file it reads
 * opens its vaults with it, and its error messages lose every secret revealed on the way.
 */
export async function withVaultArgs<T>(args: ParsedArgs, io: CommandIo, fn: (secrets: SecretRegistry) => Promise<T>): Promise<T> {
  const keyring = await keyringFromArgs(args, io);
  try {
    return await withKeyring(keyring, () => fn(keyring.secrets));
  } catch (e) {
    if (e instanceof Error && keyring.secrets.values.length > 0) e.message = keyring.secrets.mask(e.message);
    throw e;
  }
}

/** `io` whose stdout and stderr mask the secrets (for commands that print text, not a live tree). */
export function maskedIo(io: CommandIo, secrets: SecretRegistry): CommandIo {
  const wrap = (target: CommandIo['stdout']): CommandIo['stdout'] => {
    const w = new Writable({
      write(chunk: Buffer | string, _enc, cb): void {
        target.write(secrets.mask(chunk.toString()));
        cb();
      },
    });
    return Object.assign(w, { isTTY: target.isTTY, columns: target.columns });
  };
  return { ...io, stdout: wrap(io.stdout), stderr: wrap(io.stderr) };
}

const HELP = `Usage:
  runbook vault encrypt [FILE...] [--output FILE]
  runbook vault decrypt [FILE...] [--output FILE]
  runbook vault view FILE...
  runbook vault edit FILE
  runbook vault create FILE
  runbook vault encrypt_string [STRING...] [--name NAME...] [--stdin-name NAME] [-p]
  runbook vault rekey FILE... [--new-vault-password-file F | --new-vault-id LABEL@SRC]

Ansible Vault, as ansible-vault does it: files and strings encrypted here open in Ansible and
the other way round (format 1.1, or 1.2 when a vault id other than 'default' encrypts).
Without FILE (or with -), encrypt and decrypt read stdin and write stdout.

  encrypt         encrypt files in place (or to --output)
  decrypt         decrypt files in place (or to --output; - is stdout)
  view            print the plaintext ($PAGER on a terminal)
  edit            decrypt to a private temporary file, open $EDITOR (default vi), encrypt
                  again with the same vault id when the editor exits 0 and the text changed
  create          a new encrypted file, written in $EDITOR
  encrypt_string  a \`!vault |\` block to paste into a vars file or inventory
  rekey           encrypt files again with a new password

Passwords (as ansible-vault; several vault ids may be given):
${VAULT_HELP}      --encrypt-vault-id ID   which vault id encrypts when several are given
                              (ANSIBLE_VAULT_ENCRYPT_IDENTITY)
      --new-vault-password-file F, --new-vault-id [LABEL@]SRC   (rekey) the new password
      --output FILE           (encrypt, decrypt, encrypt_string) write here; - is stdout
  -n, --name NAME             (encrypt_string) the variable name of each STRING, in order
      --stdin-name NAME       (encrypt_string) read the string from stdin, named NAME
  -p, --prompt                (encrypt_string) ask for the string (hidden)

Exit codes: 0 done, 1 bad usage, wrong password, or input that is (not) encrypted.

Examples:
  runbook vault encrypt group_vars/all/vault.yml --vault-password-file ~/.vault_pass
  runbook vault encrypt_string --vault-id prod@prompt --name become_password 'S3cret!'
  runbook vault view host_vars/node1.yml --vault-id prod@~/.vault_prod
  EDITOR=nano runbook vault edit group_vars/all/vault.yml -J
`;

export const vaultCommand: Command = {
  name: 'vault',
  help: HELP,
  options: {
    ...VAULT_OPTIONS,
    'encrypt-vault-id': { type: 'string' },
    'new-vault-id': { type: 'string' },
    'new-vault-password-file': { type: 'string' },
    output: { type: 'string' },
    name: { type: 'string', short: 'n', multiple: true },
    'stdin-name': { type: 'string' },
    prompt: { type: 'boolean', short: 'p' },
  },
  run: (args, io) => runVault(args, io),
};

const SUBCOMMANDS = ['encrypt', 'decrypt', 'view', 'edit', 'create', 'encrypt_string', 'rekey'] as const;
type Sub = (typeof SUBCOMMANDS)[number];

export async function runVault(args: ParsedArgs, io: CommandIo): Promise<number> {
  const [subArg, ...rest] = args.positionals;
  const sub = subArg === 'encrypt-string' ? 'encrypt_string' : subArg;
  if (sub === undefined || !SUBCOMMANDS.includes(sub as Sub)) {
    throw new UsageError(`runbook vault: ${sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`}; one of ${SUBCOMMANDS.join(', ')} (see 'runbook vault --help')`);
  }
  const v = args.values;
  const output = typeof v.output === 'string' ? v.output : undefined;
  const encryptId = typeof v['encrypt-vault-id'] === 'string' ? v['encrypt-vault-id'] : io.env.ANSIBLE_VAULT_ENCRYPT_IDENTITY || undefined;
  const encrypting = sub === 'encrypt' || sub === 'create' || sub === 'encrypt_string';
  try {
    const keyring = await keyringFromArgs(args, io, encrypting);
    if (keyring.passwords.length === 0) {
      throw new UsageError(`runbook vault ${sub}: no vault password given; use --vault-password-file FILE, --vault-id [LABEL@]SOURCE, --ask-vault-pass or ANSIBLE_VAULT_PASSWORD_FILE`);
    }
    switch (sub as Sub) {
      case 'encrypt':
        return await encryptFiles(rest, output, keyring, encryptId, io);
      case 'decrypt':
        return await decryptFiles(rest, output, keyring, io);
      case 'view':
        return await viewFiles(rest, keyring, io);
      case 'edit':
        return await editFile(rest, keyring, io);
      case 'create':
        return await createFile(rest, keyring, encryptId, io);
      case 'encrypt_string':
        return await encryptStrings(rest, args, output, keyring, encryptId, io);
      case 'rekey':
        return await rekeyFiles(rest, args, keyring, io);
    }
  } catch (e) {
    if (e instanceof VaultError) throw new ValidationError(`runbook vault ${sub}: ${e.message}\nfix: ${e.fix}`);
    throw e;
  }
  return 1;
}

function inputs(files: string[]): string[] {
  return files.length === 0 ? ['-'] : files;
}

async function readInput(file: string, io: CommandIo): Promise<Buffer> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of io.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c));
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(resolve(io.cwd, file));
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Replace a file through a temporary one in the same directory: never half a vault on disk. Mode 0600, as ansible-vault. */
async function writeOutput(file: string, data: Buffer | string, io: CommandIo): Promise<void> {
  if (file === '-') {
    io.stdout.write(data);
    return;
  }
  const path = resolve(io.cwd, file);
  const tmp = join(dirname(path), `.${basename(path)}.runbook-${process.pid}.tmp`);
  try {
    await writeFile(tmp, data, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function oneOutput(files: string[], output: string | undefined): void {
  if (output !== undefined && inputs(files).length > 1) throw new UsageError('--output takes one input file');
}

async function encryptFiles(files: string[], output: string | undefined, keyring: Keyring, encryptId: string | undefined, io: CommandIo): Promise<number> {
  oneOutput(files, output);
  const pw = keyring.encryptPassword(encryptId);
  for (const f of inputs(files)) {
    const data = await readInput(f, io);
    if (isVaultText(data)) throw new UsageError(`${f === '-' ? 'the input' : f} is already vault-encrypted`);
    await writeOutput(output ?? f, keyring.encrypt(data, pw.id), io);
  }
  if (io.stdout.isTTY === true) io.stderr.write('Encryption successful\n');
  return 0;
}

async function decryptFiles(files: string[], output: string | undefined, keyring: Keyring, io: CommandIo): Promise<number> {
  oneOutput(files, output);
  for (const f of inputs(files)) {
    const { plaintext } = decryptInput(await readInput(f, io), f, keyring);
    await writeOutput(output ?? f, plaintext, io);
  }
  if (io.stdout.isTTY === true) io.stderr.write('Decryption successful\n');
  return 0;
}

function decryptInput(data: Buffer, file: string, keyring: Keyring): { plaintext: Buffer; vaultId: string } {
  const name = file === '-' ? 'the input' : file;
  if (!isVaultText(data)) throw new UsageError(`${name} is not vault-encrypted`);
  try {
    return keyring.decrypt(data.toString('latin1'));
  } catch (e) {
    if (e instanceof VaultError) throw new ValidationError(`${name}: cannot decrypt: ${e.message}\nfix: ${e.fix}`);
    throw e;
  }
}

async function viewFiles(files: string[], keyring: Keyring, io: CommandIo): Promise<number> {
  if (files.length === 0) throw new UsageError('runbook vault view: give the FILE to view');
  const parts: Buffer[] = [];
  for (const f of files) parts.push(decryptInput(await readInput(f, io), f, keyring).plaintext);
  const text = Buffer.concat(parts);
  const pager = io.env.PAGER ?? 'less';
  if (io.stdout.isTTY === true && pager !== '') {
    await runInteractive(shlexSplit(pager), io, text);
    return 0;
  }
  io.stdout.write(text);
  return 0;
}

/** Run the editor or pager on the terminal; the plaintext never touches argv or the environment. */
function runInteractive(argv: string[], io: CommandIo, stdinData?: Buffer): Promise<void> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new UsageError('the editor command is empty; set EDITOR'));
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { cwd: io.cwd, env: io.env, stdio: [stdinData ? 'pipe' : 'inherit', 'inherit', 'inherit'] });
    child.on('error', (e) => reject(new UsageError(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolveRun();
      else reject(new UsageError(`${cmd} ${signal !== null ? `was stopped by ${signal}` : `exited with ${String(code)}`}; nothing was changed`));
    });
    if (stdinData && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdinData);
    }
  });
}

/**
 * The plaintext lives in a fresh 0700 directory for as long as the editor runs, then is
 * overwritten and removed (ansible-vault shreds it the same way), whatever happened.
 */
async function withPlainFile<T>(name: string, plaintext: Buffer, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'runbook-vault-'));
  const path = join(dir, basename(name));
  try {
    await writeFile(path, plaintext, { mode: 0o600 });
    return await fn(path);
  } finally {
    try {
      const st = await stat(path);
      await writeFile(path, Buffer.alloc(st.size));
    } catch {
      // the editor may have removed or renamed it
    }
    await rm(dir, { recursive: true, force: true });
  }
}

function editorArgv(io: CommandIo, path: string): string[] {
  const editor = io.env.EDITOR ?? 'vi';
  try {
    return [...shlexSplit(editor), path];
  } catch {
    throw new UsageError(`EDITOR=${editor} cannot be split into words`);
  }
}

async function editFile(files: string[], keyring: Keyring, io: CommandIo): Promise<number> {
  if (files.length !== 1) throw new UsageError('runbook vault edit: give one FILE');
  const file = files[0] ?? '';
  const { plaintext, vaultId } = decryptInput(await readInput(file, io), file, keyring);
  const edited = await withPlainFile(file, plaintext, async (path) => {
    await runInteractive(editorArgv(io, path), io);
    return readFile(path);
  });
  // unchanged: leave the file (and its git diff) alone, as ansible-vault does
  if (edited.equals(plaintext)) return 0;
  await writeOutput(file, keyring.encrypt(edited, vaultId), io);
  return 0;
}

async function createFile(files: string[], keyring: Keyring, encryptId: string | undefined, io: CommandIo): Promise<number> {
  if (files.length !== 1) throw new UsageError('runbook vault create: give one FILE');
  const file = files[0] ?? '';
  const exists = await stat(resolve(io.cwd, file)).then(
    () => true,
    () => false,
  );
  if (exists) throw new UsageError(`${file} exists; use 'runbook vault edit ${file}'`);
  const pw = keyring.encryptPassword(encryptId);
  const text = await withPlainFile(file, Buffer.alloc(0), async (path) => {
    await runInteractive(editorArgv(io, path), io);
    return readFile(path);
  });
  await writeOutput(file, keyring.encrypt(text, pw.id), io);
  return 0;
}

/** What ansible-vault encrypt_string prints: `NAME: !vault |` and the envelope indented by 10. */
export function formatVaultString(ciphertext: string, name?: string): string {
  const lines = [`${name !== undefined ? `${name}: ` : ''}!vault |`];
  for (const l of ciphertext.split('\n')) if (l !== '') lines.push(`${' '.repeat(10)}${l}`);
  return lines.join('\n');
}

async function encryptStrings(strs: string[], args: ParsedArgs, output: string | undefined, keyring: Keyring, encryptId: string | undefined, io: CommandIo): Promise<number> {
  const v = args.values;
  const names = strings(v.name);
  const stdinName = typeof v['stdin-name'] === 'string' ? v['stdin-name'] : undefined;
  const given = strs.filter((s) => s !== '-');
  const items: Array<{ text: Buffer; name?: string; from: string }> = [];
  if (v.prompt === true) {
    const text = await askHidden(io, 'String to encrypt (hidden): ', '--prompt needs a terminal; pass the string as an argument or on stdin');
    if (text === '') throw new UsageError('the string given at the prompt is empty; nothing encrypted');
    items.push({ text: Buffer.from(text), ...(names[0] !== undefined ? { name: names[0] } : {}), from: 'the prompt' });
  }
  if (v.prompt !== true && (given.length === 0 || strs.includes('-') || stdinName !== undefined)) {
    const text = await readInput('-', io);
    if (text.length === 0) throw new UsageError('stdin was empty; nothing encrypted');
    items.push({ text, ...(stdinName !== undefined ? { name: stdinName } : {}), from: 'stdin' });
  }
  if (names.length > 0 && given.length > names.length) {
    // never echo the strings: only say how the names were matched
    io.stderr.write(`${given.length} strings but ${names.length} --name; the strings after the last name are written without a name\n`);
  }
  given.forEach((s, i) => {
    if (s === '') throw new UsageError('an empty string was given; nothing encrypted');
    const name = v.prompt === true ? undefined : names[i];
    items.push({ text: Buffer.from(s), ...(name !== undefined ? { name } : {}), from: 'the command line' });
  });
  const pw = keyring.encryptPassword(encryptId);
  const out = items.map((item, i) => {
    if (items.length > 1) {
      io.stderr.write(
        item.name !== undefined
          ? `# The encrypted version of variable ("${item.name}", the string #${i + 1} from ${item.from}).\n`
          : `# The encrypted version of the string #${i + 1} from ${item.from}.)\n`,
      );
    }
    return formatVaultString(keyring.encrypt(item.text, pw.id), item.name);
  });
  // ansible-vault writes no final newline; a terminal gets one so the prompt starts on its own line
  await writeOutput(output ?? '-', out.join('\n') + (io.stdout.isTTY === true && (output ?? '-') === '-' ? '\n' : ''), io);
  if (io.stdout.isTTY === true) io.stderr.write('Encryption successful\n');
  return 0;
}

async function rekeyFiles(files: string[], args: ParsedArgs, keyring: Keyring, io: CommandIo): Promise<number> {
  if (files.length === 0) throw new UsageError('runbook vault rekey: give the FILEs to rekey');
  const v = args.values;
  const newFile = typeof v['new-vault-password-file'] === 'string' ? v['new-vault-password-file'] : undefined;
  const newIdSpec = typeof v['new-vault-id'] === 'string' ? v['new-vault-id'] : undefined;
  // LABEL@SOURCE as --vault-id; a bare LABEL takes --new-vault-password-file or a prompt
  const label = io.env.ANSIBLE_VAULT_IDENTITY || 'default';
  const spec = newIdSpec?.includes('@') === true ? newIdSpec : `${newIdSpec ?? label}@${newFile ?? 'prompt'}`;
  const [newPw] = await loadVaultPasswords({ vaultIds: [spec] }, { env: {}, cwd: io.cwd, prompt: (m) => askNew(io, m) });
  if (newPw === undefined) throw new UsageError('no new vault password was given');
  const target = new Keyring([newPw]);
  for (const f of files) {
    const { plaintext } = decryptInput(await readInput(f, io), f, keyring);
    await writeOutput(f, target.encrypt(plaintext, newPw.id), io);
  }
  if (io.stdout.isTTY === true) io.stderr.write('Rekey successful\n');
  return 0;
}

async function askNew(io: CommandIo, message: string): Promise<string> {
  const instead = 'the new vault password prompt needs a terminal; use --new-vault-password-file FILE or --new-vault-id LABEL@FILE';
  const pw = await askHidden(io, `New ${message}`, instead);
  if ((await askHidden(io, `Confirm new ${message.charAt(0).toLowerCase()}${message.slice(1)}`, instead)) !== pw) throw new UsageError('the passwords do not match');
  return pw;
}
