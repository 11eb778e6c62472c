// `runbook config`: the effective defaults of a run and where each comes from.
import type { Command } from '../command.js';
import { formatConfig, loadConfig } from '../config.js';

export const configCommand: Command = {
  name: 'config',
  help: `Usage: runbook config

Prints every setting a run uses by default, its value and where it came from: the
environment (RUNBOOK_FORKS, then Ansible's ANSIBLE_FORKS, ...), the configuration file, or
runbook's default. Flags on the command line (-f, -u, ...) win over all of these.

The configuration file is the first found of:
  $RUNBOOK_CONFIG, ./runbook.cfg, ./ansible.cfg, \${XDG_CONFIG_HOME:-~/.config}/runbook/runbook.cfg,
  ~/.ansible.cfg
It is INI as ansible.cfg is, with the same key names, so a project's ansible.cfg works as is:

  [defaults]
  inventory = inventory.yml
  forks = 20
  remote_user = admin
  private_key_file = ~/.ssh/fleet_ed25519
  host_key_checking = accept-new     # strict | accept-new | off (True/False as in Ansible)
  timeout = 15
  log_path = runbook.log

  [privilege_escalation]
  become = true
  become_user = root

  [ssh_connection]
  ssh_common_args = -J bastion.example.org

Keys runbook has no use for are listed as ignored, never an error.

Options:
  -h, --help   this help
`,
  options: {},
  run: (_args, io) =>
    Promise.resolve().then(() => {
      io.stdout.write(formatConfig(loadConfig(io.cwd, io.env)));
      return 0;
    }),
};
