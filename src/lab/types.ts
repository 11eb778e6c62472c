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
  /** full hosts: the package layer it booted on ('base' = the bare image, 'apache', 'firewalld') */
  layer?: string;
  /** full hosts: Debian release, '12' (bookworm) or '13' (trixie) */
  release?: string;
  /** full hosts: PID 1, 'lab-init' or 'systemd' */
  init?: 'lab-init' | 'systemd';
  /**
   * the hub this host sits behind: `address` is on the hub's site network, which the
   * controller cannot reach; SSH goes through the hub (jump host)
   */
  behind?: string;
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
  /** sites behind hubs: which hosts live on which hub's network */
  sites?: Array<{
    hub: string;
    /** the hub's address on the lab network: the jump host */
    hubAddress: string;
    /** the site network (inside the lab's /16, on no interface of this machine) */
    subnet: string;
    hosts: string[];
  }>;
  /** the lab's BIND (labUp with dns): authoritative for `zone`, TSIG-signed dynamic updates */
  dns?: {
    /** address (in the root namespace, on the bridge) and port: certbot's dns_rfc2136_server/_port */
    server: string;
    port: number;
    /** lab.test: every full host's NAME.lab.test and acme.lab.test are in it */
    zone: string;
    /** TSIG algorithm as BIND names it (hmac-sha256); certbot's dns_rfc2136_algorithm: HMAC-SHA256 */
    algorithm: string;
    /** may update `zone` (dns_rfc2136_name / dns_rfc2136_secret) */
    updateKey: { name: string; secret: string };
    /** may update only its own `zone`, never the lab zone: for "not allowed" tests */
    otherKey: { name: string; secret: string; zone: string };
  };
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
