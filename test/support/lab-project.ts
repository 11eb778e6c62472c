// A playbook project on the controller for CLI lab tests: the given files under a fresh temp
// directory and `hosts.yml`, an inventory of the lab's first host as its no-password sudo user;
// and reading back what a run wrote there.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { LabInfo } from './lab.js';
import { labExec } from './lab.js';

export function labProject(lab: LabInfo, prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const h = lab.hosts[0];
  if (!h) throw new Error('the lab has no host');
  writeFileSync(join(dir, 'hosts.yml'), stringify({ all: { vars: { ansible_ssh_private_key_file: lab.keyFile, ansible_user: lab.users.nopasswd.name }, hosts: { [h.name]: { ansible_host: h.address, ansible_port: h.port } } } }));
  return dir;
}

/** A file's text on the lab's first host, or `<missing PATH>` (comparable in one `toBe`). */
export async function readOnFirstHost(lab: LabInfo, path: string): Promise<string> {
  const r = await labExec(lab, lab.hosts[0]?.name ?? '', ['cat', path]);
  return r.code === 0 ? r.stdout : `<missing ${path}>`;
}
