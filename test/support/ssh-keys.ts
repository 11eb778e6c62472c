// Key pairs for tests, made by OpenSSH's ssh-keygen: the files users have. ssh2's own
// generateKeyPairSync is not used because it drops the leading zero bytes of an ed25519 public
// key (about 1 key in 200), and writes a key that neither ssh2 nor OpenSSH can read.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface KeyPair {
  /** the private key file's text (OpenSSH format) */
  private: string;
  /** the public key line, `type base64 comment` */
  public: string;
}

/**
 * A new key pair. With a passphrase it is encrypted as ssh-keygen does by default (aes256-ctr),
 * with 4 bcrypt rounds instead of 16 to keep tests fast.
 */
export function generateKeyPair(type: KeyType = 'ed25519', passphrase?: string): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'runbook-keygen-'));
  try {
    const file = join(dir, 'key');
    const bits = type === 'ecdsa' ? ['-b', '384'] : type === 'rsa' ? ['-b', '2048'] : [];
    const rounds = passphrase === undefined ? [] : ['-a', '4'];
    execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, ...rounds, '-N', passphrase ?? '', '-C', 'runbook-test', '-f', file], { stdio: 'ignore' });
    return { private: readFileSync(file, 'utf8'), public: readFileSync(`${file}.pub`, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
