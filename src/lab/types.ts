// What a running lab looks like to its users (the CLI, runbook's own tests, the demo).
export interface LabUser {
  name: string;
  /** sudo password; undefined for the passwordless-sudo user */
  sudoPassword?: string;
}

export interface LabHostInfo {
  name: string;
  address: string;
  port: number;
  kind: 'fleet' | 'full';
  /** full hosts: the FQDN the ACME server resolves to this host, e.g. allmon.lab.test */
  domain?: string;
  /** full hosts: the package layer it booted on ('base' = the bare image, 'apache') */
  layer?: string;
}

export interface LabInfo {
  /** instance name; bridge, subnet, namespace prefix and state dir derive from it */
  name: string;
  stateDir: string;
  /** bridge address in the root namespace (ACME server, apt proxy live here) */
  gateway: string;
  /** CIDR of the lab network */
  subnet: string;
  /** the lab bridge in the root namespace (the route guard checks the subnet goes over it) */
  bridge?: string;
  /** private key that logs in as every lab user */
  keyFile: string;
  /** known_hosts with every running lab host's key */
  knownHostsFile: string;
  /** inventory written by `lab inventory` (Ansible YAML) */
  inventoryFile: string;
  /** OpenSSH client config for every lab host (strict host key checking, the lab key) */
  sshConfigFile?: string;
  users: { nopasswd: LabUser; passwd: LabUser };
  hosts: LabHostInfo[];
  acme?: {
    /** directory URL as full hosts reach it, e.g. https://acme.lab.test:14000/dir */
    directoryUrl: string;
    /** Pebble's current root (changes every Pebble start), to verify served chains */
    rootPemFile: string;
    /** lab CA that signed Pebble's own TLS certificate (controller side) */
    caPemFile: string;
    /** the same CA inside full hosts */
    caBundleOnHost: string;
    /** DNS server Pebble uses (IP:PORT), for the playbooks' preflight_resolver */
    resolver: string;
    /** the directory URL as the controller reaches it (acme.lab.test resolves only inside full hosts) */
    controllerDirectoryUrl?: string;
    /** Pebble's management API (roots/0, intermediates/0...) as the controller reaches it */
    managementUrl?: string;
  };
}
