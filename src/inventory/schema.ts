// The published JSON Schema of Ansible's YAML inventory format as runbook reads it
// (schemas/inventory.schema.json). Editors use it for completion and checks; loading does
// its own checks with positions (yaml-format.ts), which this schema mirrors.
import type { SchemaObject } from 'ajv';

const text = { type: 'string' } as const;
const connectionVars = {
  ansible_host: { ...text, description: 'Address to connect to (default: the inventory name).' },
  ansible_port: { type: ['integer', 'string'], description: 'SSH port (default 22).' },
  ansible_user: { ...text, description: 'SSH login user.' },
  ansible_ssh_private_key_file: { ...text, description: 'Private key file for SSH.' },
  ansible_connection: { type: 'string', description: "'ssh' (default) or 'local'. Templates are allowed." },
  ansible_password: { ...text, description: 'SSH password (prefer keys).' },
  ansible_ssh_pass: { ...text, description: 'SSH password (old name of ansible_password).' },
  ansible_become: { type: ['boolean', 'string'], description: 'Run tasks with sudo.' },
  ansible_become_user: { ...text, description: 'User to become (default root).' },
  ansible_become_password: { ...text, description: 'sudo password; never logged.' },
  ansible_become_pass: { ...text, description: 'sudo password (old name of ansible_become_password).' },
  ansible_ssh_common_args: { ...text, description: 'Extra ssh options, e.g. -o ProxyJump=bastion.' },
  runbook_known_hosts_file: { ...text, description: 'known_hosts file to verify this host against.' },
};

export const inventorySchema: SchemaObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://runbook.dev/schemas/inventory.schema.json',
  title: 'runbook inventory (Ansible YAML inventory format)',
  description:
    'Top-level keys are groups (usually `all`). A group has `hosts` (host patterns such as web[01:10].example.org, each with its vars or nothing), `children` (groups) and `vars`.',
  type: ['object', 'null'],
  additionalProperties: { $ref: '#/definitions/group' },
  definitions: {
    group: {
      type: ['object', 'null'],
      description: 'A group: hosts, child groups and group vars.',
      properties: {
        hosts: {
          type: ['object', 'null'],
          description: 'Host patterns (name, name:port, or a range like web[01:10]) mapped to host vars or nothing.',
          additionalProperties: { $ref: '#/definitions/hostVars' },
        },
        children: {
          type: ['object', 'null'],
          description: 'Child groups, each a group.',
          additionalProperties: { $ref: '#/definitions/group' },
        },
        vars: { $ref: '#/definitions/groupVars' },
      },
      additionalProperties: false,
    },
    hostVars: {
      type: ['object', 'null'],
      description: 'Variables of one host.',
      properties: connectionVars,
      additionalProperties: true,
    },
    groupVars: {
      type: ['object', 'null'],
      description: 'Variables of every host in the group.',
      properties: {
        ...connectionVars,
        ansible_group_priority: { type: ['integer', 'string'], description: 'Merge order among groups of the same depth (default 1; higher wins).' },
      },
      additionalProperties: true,
    },
  },
};
