// A transport only runs commands and moves files (Ansible's connection plugin, pyinfra's
// connector). It knows nothing about modules, facts or playbooks.
import type { ShellCommand } from './command.js';

export interface BecomeOptions {
  /** default root */
  user?: string;
  /** sudo password; never placed in argv, logs, events or errors */
  password?: string;
  /** only sudo is supported */
  method?: 'sudo';
}

export interface ExecOptions {
  /** run through sudo as this user */
  become?: BecomeOptions;
  /** written to the command's stdin, then stdin is closed */
  stdin?: string | Buffer;
  /** kill the remote command after this many ms (fails with `timedOut: true`) */
  timeoutMs?: number;
  /** environment for the command (exported in the remote shell, not via ssh env requests) */
  env?: Record<string, string>;
  /** working directory on the host */
  cwd?: string;
  /** extra secret strings to mask in output and errors */
  secrets?: readonly string[];
  /** live output (already masked) for `-vv` and "still alive" indicators */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void;
  /**
   * The output is the module's own to read (a probe, a one-command path): onOutput gets it once
   * the command has ended, whole, one call per stream, instead of a call per chunk as it comes.
   * Such a command prints a few short lines in as many writes, which were most of a fleet run's
   * output events (seven per task and host) for nobody to watch live.
   */
  outputAtEnd?: boolean;
  /** abort signal: stops the remote command (Ctrl-C) */
  signal?: AbortSignal;
  /**
   * Told directly by whoever aborts `signal` (right after it aborts it): a running command puts
   * its stop function here instead of adding an 'abort' listener to the signal. Adding and
   * removing an EventTarget listener per command was over 1% of the controller's CPU on the fleet
   * benchmark (perf, 200 hosts), more than the rest of the command's bookkeeping. Only with
   * `signal`; without it, the signal's own event is listened to.
   */
  abortWatchers?: AbortWatchers;
}

/** see ExecOptions.abortWatchers */
export type AbortWatchers = Set<() => void>;

/** The result of one remote command (zx's ProcessOutput). Also the payload of ExecError. */
export interface ExecResult {
  host: string;
  /** the command as shown to people (secrets masked) */
  command: string;
  /** null when the channel closed without an exit status (then ok is false) */
  exitCode: number | null;
  signal: string | null;
  /** the captured output as the command wrote it (module data: masked where it is shown, by the engine's events) */
  stdout: string;
  stderr: string;
  /** stdout/stderr were cut at the in-memory cap */
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
  /** exitCode === 0 */
  ok: boolean;
}

export interface PutOptions {
  /** octal string like '0644' */
  mode?: string;
  owner?: string;
  group?: string;
  become?: BecomeOptions;
}

export interface Transport {
  /** inventory name of the host */
  readonly host: string;
  /** Open the connection (idempotent). Throws UnreachableError. */
  connect(): Promise<void>;
  /** Run a command; resolves with the result even when the exit code is non-zero. Throws UnreachableError when the connection is lost. */
  exec(command: ShellCommand, options?: ExecOptions): Promise<ExecResult>;
  /** Atomically write a file: temp file in the same directory, mode/owner set, then rename. */
  put(path: string, content: string | Buffer, options?: PutOptions): Promise<void>;
  /** Read a file. Throws ExecError-like error when missing. */
  get(path: string, options?: { become?: BecomeOptions }): Promise<Buffer>;
  close(): Promise<void>;
}

/** How to reach a host, resolved from inventory variables, ~/.ssh/config and CLI flags. */
export interface ConnectionSpec {
  host: string;
  connection: 'ssh' | 'local';
  address: string;
  port: number;
  user: string;
  privateKeyFiles: string[];
  privateKeyPassphrase?: string;
  password?: string;
  agent?: string;
  knownHostsFiles: string[];
  hostKeyChecking: 'strict' | 'accept-new' | 'off';
  /** jump hosts in order (ProxyJump); each hop is verified against its own host key */
  jump: Array<{ address: string; port: number; user: string; privateKeyFiles?: string[] }>;
  connectTimeoutMs: number;
  connectRetries: number;
  keepaliveIntervalMs: number;
  /** channels open at once on the connection */
  maxChannels: number;
  become: BecomeOptions & { enabled: boolean };
  /**
   * SSH handshakes (connect + key exchange + auth) in progress at once, process-wide; the connect
   * timeout does not count the wait for a slot. Default: RUNBOOK_MAX_HANDSHAKES, else 48.
   */
  maxHandshakes?: number;
  /** accept-new writes new keys hashed (ssh's HashKnownHosts); default false */
  hashKnownHosts?: boolean;
  /**
   * sessions started ahead of their commands (transport/preopen.ts): `never` (the default),
   * `auto` (once the link's round trip is 20 ms or more), `always`
   */
  preopen?: PreopenMode;
  /**
   * run the host's commands in one bash loop on one session (transport/mux.ts) once its login
   * shell is known to be bash: inventory `runbook_ssh_mux`, else RUNBOOK_SSH_MUX (`off` turns it
   * off), else on
   */
  mux?: boolean;
}

export type PreopenMode = 'auto' | 'always' | 'never';
