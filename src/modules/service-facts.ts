// service_facts: every service systemd and SysV init know of, as Ansible's ansible_facts.services
// (name → {name, state, status, source}). One probe; nothing changes, so --check runs it too.
import { servicesFact, type ServiceInfo } from '../facts/services.js';
import type { Plan } from './contract.js';
import { moduleSchema } from './util/schema.js';
import { defineModule } from './runner.js';

export type ServiceFactsArgs = Record<string, never>;

export function planServiceFacts(_args: ServiceFactsArgs, services: Record<string, ServiceInfo>): Plan {
  const n = Object.keys(services).length;
  if (n === 0) {
    // Ansible's result when no init system answered (privileges, a minimal container)
    return { commands: [], skipped: true, msg: 'Failed to find any services. This can be due to privileges or some other configuration issue.' };
  }
  const running = Object.values(services).filter((s) => s.state === 'running').length;
  return { commands: [], msg: `${n} services (${running} running)`, facts: { ansible_facts: { services } } };
}

export const serviceFactsModule = defineModule<ServiceFactsArgs, Record<string, ServiceInfo>>({
  name: 'service_facts',
  schema: moduleSchema({ properties: {} }),
  doc: {
    short: 'Return the state of every service as facts (ansible_facts.services)',
    description:
      'One probe asks systemd (`systemctl list-units` and `list-unit-files`, and `systemctl show` for units not loaded) and the SysV `service --status-all`, as Ansible\'s service_facts does. Each service is `{name, state, status, source}`: state `running`/`stopped` (or systemd\'s ActiveState for units not loaded), status the unit file\'s (`enabled`, `disabled`, `static`, `masked`, ...) or a bad state (`not-found`, `failed`); SysV entries have no status. systemd units are named with `.service`. The facts are `ansible_facts.services` and `services` for the next tasks; with no service found the task is skipped with Ansible\'s message. Upstart, OpenRC, AIX and BSD are not asked.',
    returns: { ansible_facts: '`services`: name → {name, state, status, source}' },
    example: "- service_facts:\n- debug:\n    msg: \"ntp runs\"\n  when: ansible_facts.services['ntp.service'].state | default('') == 'running'",
  },
  probe: () => servicesFact,
  plan: planServiceFacts,
});
