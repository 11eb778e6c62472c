// The core modules: everything that is not about certificates (see cert-modules.ts).
import type { ModuleDefinition } from './types.js';
import { addHostModule, groupByModule } from './add-host.js';
import { aptModule } from './apt.js';
import { assertModule, failModule, setFactModule } from './assert.js';
import { validateArgumentSpecModule } from './validate-argument-spec.js';
import { commandModule, rawModule, shellModule } from './command.js';
import { copyModule } from './copy.js';
import { debugModule } from './debug.js';
import { pauseModule } from './pause.js';
import { fileModule } from './file.js';
import { lineinfileModule } from './lineinfile.js';
import { metaModule } from './meta.js';
import { packageModule } from './package.js';
import { pingModule } from './ping.js';
import { serviceModule } from './service.js';
import { snapModule } from './snap.js';
import { statModule } from './stat.js';
import { templateModule } from './template.js';
import { uriModule } from './uri.js';
import { waitForModule } from './wait-for.js';
import { userModule } from './user.js';
import { groupModule } from './group.js';
import { hostnameModule } from './hostname.js';
import { systemdServiceModule } from './systemd-service.js';
import { blockinfileModule } from './blockinfile.js';
import { replaceModule } from './replace.js';
import { cronModule } from './cron.js';
import { authorizedKeyModule } from './authorized-key.js';
import { tempfileModule } from './tempfile.js';
import { slurpModule } from './slurp.js';
import { findModule } from './find.js';
import { fetchModule } from './fetch.js';
import { getUrlModule } from './get-url.js';
import { scriptModule } from './script.js';
import { asyncStatusModule } from './async-status.js';
import { setupModule } from './setup.js';
import { serviceFactsModule } from './service-facts.js';
import { packageFactsModule } from './package-facts.js';
import { sysctlModule } from './sysctl.js';
import { rebootModule } from './reboot.js';
import { mountModule } from './mount.js';
import { getentModule } from './getent.js';
import { aptRepositoryModule } from './apt-repository.js';
import { deb822RepositoryModule } from './deb822-repository.js';
import { debconfModule } from './debconf.js';
import { unarchiveModule } from './unarchive.js';
import { waitForConnectionModule } from './wait-for-connection.js';
import { gitModule } from './git.js';
import { alternativesModule } from './alternatives.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const CORE_MODULES: Array<ModuleDefinition<any>> = [
  commandModule,
  shellModule,
  rawModule,
  fileModule,
  copyModule,
  templateModule,
  lineinfileModule,
  statModule,
  aptModule,
  packageModule,
  snapModule,
  serviceModule,
  systemdServiceModule,
  userModule,
  groupModule,
  hostnameModule,
  waitForModule,
  uriModule,
  assertModule,
  validateArgumentSpecModule,
  failModule,
  debugModule,
  pauseModule,
  setFactModule,
  pingModule,
  metaModule,
  addHostModule,
  groupByModule,
  blockinfileModule,
  replaceModule,
  cronModule,
  authorizedKeyModule,
  tempfileModule,
  slurpModule,
  findModule,
  fetchModule,
  getUrlModule,
  scriptModule,
  asyncStatusModule,
  setupModule,
  serviceFactsModule,
  packageFactsModule,
  sysctlModule,
  rebootModule,
  mountModule,
  getentModule,
  aptRepositoryModule,
  deb822RepositoryModule,
  debconfModule,
  unarchiveModule,
  waitForConnectionModule,
  gitModule,
  alternativesModule,
];
