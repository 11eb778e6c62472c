// Which values were one `!vault` value in the playbook or inventory (Ansible's `vault_encrypted`
// test). runbook decrypts `!vault` values while reading YAML, so the reader records the
// plaintexts here; a value from a wholly encrypted vars file is not one (Ansible says the same).
const vaulted = new Set<string>();

/** Called by the YAML reader for each decrypted `!vault` value. */
export function markVaulted(plaintext: string): void {
  vaulted.add(plaintext);
}

/** A `!vault` value, or text that is itself vault ciphertext (`$ANSIBLE_VAULT;1.1;AES256...`). */
export function isVaulted(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  return vaulted.has(value) || /^\$ANSIBLE_VAULT;\d+\.\d+;AES256/.test(value.trimStart());
}
