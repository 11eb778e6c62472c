// Command-line mistakes as a person reads them: parseArgs' own messages ("Unknown option
// '--synatx-check'. To specify a positional argument starting with a '-', place it at the end
// of the command after '--'") say nothing useful. Here: the nearest flag of the command, and
// for flags of ansible-playbook/ansible that runbook spells differently or does elsewhere,
// where to go instead.
import type { OptionSpec } from './command.js';
import { didYouMean } from '../util/edit-distance.js';

/**
 * Ansible flags that are not flags of the runbook command being run, with what to do instead.
 * Flags runbook has under the same name are not listed (they parse); flags that only some
 * commands have point to the command that has them.
 */
export const ANSIBLE_FLAGS: Readonly<Record<string, string>> = {
  '--syntax-check': 'runbook validate PLAYBOOK checks a playbook without running it (add -i INVENTORY to check host patterns too)',
  '--list-hosts': 'runbook apply PLAYBOOK -i INVENTORY --list-hosts (runbook run PATTERN -i INVENTORY --list-hosts for a pattern)',
  '--list-tasks': 'runbook apply PLAYBOOK -i INVENTORY --list-tasks',
  '--list-tags': 'runbook apply PLAYBOOK -i INVENTORY --list-tags',
  '--inventory-file': '-i/--inventory FILE',
  '--ask-pass': 'runbook apply -k/--ask-pass asks for the SSH password; other commands log in with SSH keys (--private-key FILE, ssh-agent)',
  '-k': 'runbook apply -k/--ask-pass asks for the SSH password; other commands log in with SSH keys (--private-key FILE, ssh-agent)',
  '--become-method': 'runbook becomes another user with sudo only; drop --become-method',
  '--flush-cache': 'runbook keeps no fact cache: facts are gathered fresh on every run; drop --flush-cache',
  '--module-path': 'runbook has its modules built in (runbook doc lists them); other modules cannot be loaded',
  '-M': 'runbook has its modules built in (runbook doc lists them); other modules cannot be loaded',
  '--step': 'runbook apply PLAYBOOK --step asks before each task; runbook run --ask asks once before running',
  '--scp-extra-args': 'runbook copies files over its own SSH connection; --ssh-common-args applies to it',
  '--sftp-extra-args': 'runbook copies files over its own SSH connection; --ssh-common-args applies to it',
  '--ssh-extra-args': '--ssh-common-args ARGS',
  '--one-line': 'runbook run has no one-line format; --json prints one JSON line per event for scripts',
  '-o': 'runbook run has no one-line format; --json prints one JSON line per event for scripts',
  '--tree': 'runbook apply --json writes every result as NDJSON (one line per event)',
  '--playbook-dir': 'runbook resolves files relative to the playbook; drop --playbook-dir',
  '--background': 'runbook has no background jobs (async/poll); give the task a timeout instead',
  '-B': 'runbook has no background jobs (async/poll); give the task a timeout instead',
};

/**
 * The message for a command line parseArgs refused, or undefined when it is not one of the
 * cases handled here (the caller then shows parseArgs' text).
 */
export function explainParseError(command: string, options: OptionSpec, error: unknown): string | undefined {
  const code = (error as { code?: string } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const prefix = `runbook ${command}`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /Unknown option '([^']+)'/.exec(message)?.[1];
    if (flag === undefined) return undefined;
    // `--limit=web` style: the name is before the '='
    const name = flag.split('=')[0] ?? flag;
    const ansible = Object.hasOwn(ANSIBLE_FLAGS, name) ? ANSIBLE_FLAGS[name] : undefined;
    if (ansible !== undefined) return `${prefix}: unknown flag '${name}' (an Ansible flag). In runbook: ${ansible}.`;
    // a typo of the command's own flags, or of an Ansible flag (`--synatx-check`)
    const ansibleLong = Object.keys(ANSIBLE_FLAGS).filter((f) => f.startsWith('--') && !Object.hasOwn(options, f.slice(2)));
    const near = name.startsWith('--') ? didYouMean(name, [...Object.keys(options).map((o) => `--${o}`), ...ansibleLong]) : undefined;
    const nearAnsible = near !== undefined ? ANSIBLE_FLAGS[near] : undefined;
    if (near !== undefined && nearAnsible !== undefined && !Object.hasOwn(options, near.slice(2))) {
      return `${prefix}: unknown flag '${name}'. Did you mean Ansible's '${near}'? In runbook: ${nearAnsible}.`;
    }
    const hint = near !== undefined ? ` Did you mean '${near}'?` : '';
    return `${prefix}: unknown flag '${name}'.${hint} Run '${prefix} --help' for the flags.`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    // "Option '-i, --inventory <value>' argument missing" / "Option '--check' does not take an argument"
    const m = /Option '(?:-(\w), )?--([\w-]+)(?: <value>)?' (argument missing|does not take an argument)/.exec(message);
    if (!m) return undefined;
    const both = m[1] ? `-${m[1]}/--${m[2]}` : `--${m[2]}`;
    return m[3] === 'argument missing'
      ? `${prefix}: ${both} needs a value (e.g. ${both.split('/').at(-1)} VALUE). Run '${prefix} --help' for the flags.`
      : `${prefix}: ${both} is an on/off flag and takes no value; write ${both.split('/').at(-1)} alone.`;
  }
  return undefined;
}

/** Ansible's programs and habits → the runbook command that does it. */
const ANSIBLE_COMMANDS: Readonly<Record<string, string>> = {
  'ansible-playbook': 'apply',
  playbook: 'apply',
  run: 'run',
  ansible: 'run',
  adhoc: 'run',
  'ansible-inventory': 'inventory',
  'ansible-doc': 'doc',
  'ansible-vault': 'vault',
  'ansible-config': 'config',
  check: 'validate',
  'syntax-check': 'validate',
  lint: 'validate',
};

/** `runbook aplly` / `runbook ansible-playbook site.yml` / `runbook site.yml`: where to go. */
export function explainUnknownCommand(word: string, commands: readonly string[]): string {
  const mapped = Object.hasOwn(ANSIBLE_COMMANDS, word) ? ANSIBLE_COMMANDS[word] : undefined;
  let hint = '';
  if (/\.ya?ml$/.test(word)) hint = ` To run a playbook: runbook apply ${word} -i INVENTORY.`;
  else if (mapped !== undefined && commands.includes(mapped)) hint = ` In runbook that is 'runbook ${mapped}'.`;
  else {
    const near = didYouMean(word, commands);
    if (near !== undefined) hint = ` Did you mean '${near}'?`;
  }
  return `runbook: unknown command '${word}'.${hint} Run 'runbook --help' for the list.`;
}
