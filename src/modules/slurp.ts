// slurp: read a file from the host, registered base64-encoded (Ansible's `content`,
// `encoding: base64`, `source`), for `| b64decode`. One read-only command, also in --check.
import { slurpFact, type SlurpState } from '../facts/slurp.js';
import { failPlan, noop, type Plan } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export interface SlurpArgs {
  src: string;
}

export function planSlurp(args: SlurpArgs, st: SlurpState): Plan {
  const src = args.src;
  switch (st.kind) {
    case 'missing':
      return failPlan(`file not found: ${src}`);
    case 'directory':
      return failPlan('source is a directory and must be a file');
    case 'unreadable':
      return failPlan(`file is not readable: ${src}`);
    case 'error':
      return failPlan(`unable to slurp file: ${st.error}`);
    case 'content':
      return noop(`${src}: ${Buffer.from(st.base64, 'base64').length} bytes`, { content: st.base64, encoding: 'base64', source: src });
  }
}

export const slurpModule = defineModule<SlurpArgs, SlurpState>({
  name: 'slurp',
  schema: moduleSchema({
    properties: { src: { type: 'string', minLength: 1, aliases: ['path'], description: 'the file on the host to read' } },
    required: ['src'],
  }),
  doc: {
    short: 'Read a file from the host (base64-encoded)',
    description: 'One read-only command: the file\'s bytes are base64-encoded on the host, so binary files survive. Use `content | b64decode` to get the text. Never changes anything; also runs in --check.',
    returns: { content: 'the file\'s content, base64-encoded', encoding: 'always `base64`', source: 'the file read' },
    example: '- slurp:\n    src: /etc/hostname\n  register: hostname\n- debug:\n    msg: "{{ hostname.content | b64decode }}"',
    notes: ['The whole file travels through the connection and is held in memory: meant for small files (use fetch for large ones).'],
  },
  probe: (args) => slurpFact(args.src),
  plan: planSlurp,
});
