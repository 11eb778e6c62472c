// The certificate modules: certbot and what an HTTPS rollout needs around it (Apache sites and
// modules, the host firewall (ufw or firewalld), preflight checks, Let's Encrypt rate limits).
import type { ModuleDefinition } from './types.js';
import { certbotModule } from './certbot.js';
import { apacheModule } from './apache.js';
import { ufwModule } from './ufw.js';
import { firewalldModule } from './firewalld.js';
import { rfc2136CredentialsModule } from './rfc2136-credentials.js';
import { preflightModule } from './preflight.js';
import { acmeRateLimitModule } from './acme-rate-limit-module.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const CERT_MODULES: Array<ModuleDefinition<any>> = [certbotModule, apacheModule, ufwModule, firewalldModule, preflightModule, acmeRateLimitModule, rfc2136CredentialsModule];
