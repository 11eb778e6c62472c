// certbot_rfc2136_credentials: the credentials file certbot's RFC 2136 plugin reads for DNS-01
// (its own keys dns_rfc2136_server, _port, _name, _secret, _algorithm), root-only, as certbot
// requires. The secret is a secret: the content travels on stdin (never a command line), the
// file is created under umask 077 (never readable by others, not even for a moment), and no
// result, message or diff shows it. Unchanged when the file already holds exactly this.
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { sh, type ShellCommand } from '../transport/command.js';
import { secretFileFact, type SecretFileState } from '../facts/secret-file.js';
import { failPlan, noop, type Plan, type PlanEnv } from './contract.js';
import { defineModule } from './runner.js';
import { moduleSchema } from './util/schema.js';
import { credentialsIni, RFC2136_ALGORITHMS } from './rfc2136.js';

export const DEFAULT_RFC2136_CREDENTIALS = '/etc/letsencrypt/rfc2136.ini';

export interface Rfc2136CredentialsArgs {
  path?: string;
  server: string;
  port?: number | string;
  name: string;
  secret: string;
  algorithm?: string;
}

export function planRfc2136Credentials(args: Rfc2136CredentialsArgs, st: SecretFileState, _env: PlanEnv): Plan {
  const path = args.path ?? DEFAULT_RFC2136_CREDENTIALS;
  const algorithm = (args.algorithm ?? 'HMAC-SHA512').toUpperCase();
  const port = Number(args.port ?? 53);
  if (!RFC2136_ALGORITHMS.includes(algorithm)) return failPlan(`dns_rfc2136_algorithm ${args.algorithm ?? ''} is not one certbot knows: use one of ${RFC2136_ALGORITHMS.join(', ')}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return failPlan(`dns_rfc2136_port ${String(args.port)} is not a port number`);
  const content = credentialsIni({ server: args.server, port, name: args.name, secret: args.secret, algorithm });
  const sha256 = createHash('sha256').update(content).digest('hex');
  const data = { path, mode: '0600', owner: 'root' };
  if (st.exists && st.sha256 === sha256 && st.mode === '600' && st.owner === 'root' && st.group === 'root') {
    return noop(`${path} holds the TSIG key ${args.name} for ${args.server}:${port} (root only)`, data);
  }
  const commands: ShellCommand[] = [];
  if (st.exists && st.sha256 === sha256) {
    commands.push(sh`chown root:root -- ${path}`, sh`chmod 600 -- ${path}`);
    return { commands, msg: `${path}: made root only (was ${st.owner}:${st.group} mode ${st.mode})`, data };
  }
  // umask 077 in a subshell: the temp file is root-only from its first byte; mv is atomic
  commands.push(
    sh`mkdir -p -- ${dirname(path)}`,
    sh`( umask 077 && t=$(mktemp ${`${path}.XXXXXX`}) && cat > "$t" && chown root:root "$t" && chmod 600 "$t" && mv -f "$t" ${path} )`,
  );
  return { commands, stdin: content, msg: `${path} ${st.exists ? 'updated' : 'written'}: TSIG key ${args.name} for ${args.server}:${port} (root only, secret not shown)`, data };
}

export const rfc2136CredentialsModule = defineModule<Rfc2136CredentialsArgs, SecretFileState>({
  name: 'certbot_rfc2136_credentials',
  secretArgs: ['secret'],
  schema: moduleSchema({
    properties: {
      path: { type: 'string', default: DEFAULT_RFC2136_CREDENTIALS, description: 'where the credentials file goes (certbot: --dns-rfc2136-credentials)' },
      server: { type: 'string', minLength: 1, description: 'dns_rfc2136_server: the DNS server that takes the updates' },
      port: { anyOf: [{ type: 'integer' }, { type: 'string' }], default: 53, description: 'dns_rfc2136_port' },
      name: { type: 'string', minLength: 1, description: 'dns_rfc2136_name: the TSIG key name' },
      secret: { type: 'string', minLength: 1, description: 'dns_rfc2136_secret: the TSIG key (base64); never shown' },
      algorithm: { type: 'string', default: 'HMAC-SHA512', description: `dns_rfc2136_algorithm: ${RFC2136_ALGORITHMS.join(', ')}` },
    },
    required: ['server', 'name', 'secret'],
  }),
  doc: {
    short: "Write the root-only credentials file of certbot's RFC 2136 plugin (DNS-01), the secret never shown",
    description:
      'The file has certbot-dns-rfc2136\'s own keys. It is written through stdin under umask 077 and moved into place, owned by root with mode 0600, so the secret is never on a command line and never readable by another user. ' +
      'It is compared by SHA-256 (computed on the controller), so a second run changes nothing and no output, diff or registered value contains the secret.',
    returns: { path: 'the credentials file', mode: 'always 0600', owner: 'always root' },
    example:
      '- certbot_rfc2136_credentials:\n    server: "{{ dns_rfc2136_server }}"\n    name: "{{ dns_rfc2136_name }}"\n    secret: "{{ dns_rfc2136_secret }}"\n    algorithm: HMAC-SHA512\n  no_log: true',
  },
  probe: (args) => secretFileFact(args.path ?? DEFAULT_RFC2136_CREDENTIALS),
  plan: planRfc2136Credentials,
});
