// The ten everyday tasks of the fleet benchmark, as the floor runs them: one plain shell
// command per task. bench/fleet.yml (runbook) and bench/ansible/site.yml (Ansible) describe the
// same work declaratively; keep the three in step (the harness compares the resulting host
// directories of every tool with the floor's, so a drift shows up in the results).

/** Variables the playbooks and the template use (same values in fleet.yml and site.yml). */
export const BENCH_VARS = {
  app_port: 8080,
  app_peers: ['alpha', 'beta', 'gamma'],
} as const;

export const MOTD = 'managed by the fleet benchmark\n';
export const LINE = 'tuned = yes';

/**
 * What templates/app.conf.j2 renders to for one host. The floor writes these bytes directly:
 * it has no template engine, which is the point of a floor.
 */
export function renderAppConf(host: string): string {
  return (
    `# ${host}: written by the fleet benchmark\n` +
    `listen = 0.0.0.0:${BENCH_VARS.app_port}\n` +
    `peers = ${BENCH_VARS.app_peers.join(', ')}\n` +
    `name = ${host.toUpperCase()}\n`
  );
}

/** POSIX single-quote a word for /bin/sh. */
export function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The host's own working directory under the run's root. */
export function hostDir(root: string, host: string): string {
  return `${root.replace(/\/+$/, '')}/${host}`;
}

/**
 * The floor's ten commands for one host, in task order. Each is the least a shell user would
 * type to get the same end state: blind writes, no comparison, no reporting.
 */
export function floorCommands(root: string, host: string): string[] {
  const d = shq(hostDir(root, host));
  const dir = hostDir(root, host);
  return [
    // 1. ensure a directory
    `mkdir -p ${d} && chmod 0755 ${d}`,
    // 2. a file with given content
    `printf %s ${shq(MOTD)} > ${shq(`${dir}/motd`)}`,
    // 3. a templated file (pre-rendered: the floor does no templating)
    `printf %s ${shq(renderAppConf(host))} > ${shq(`${dir}/app.conf`)}`,
    // 4. a shell command with `creates`
    `[ -e ${shq(`${dir}/seed`)} ] || { printf 'alpha\\nbeta\\n' > ${shq(`${dir}/seed`)} && mkdir -p ${shq(`${dir}/stale`)}; }`,
    // 5. a line in a file
    `grep -qxF ${shq(LINE)} ${shq(`${dir}/seed`)} || echo ${shq(LINE)} >> ${shq(`${dir}/seed`)}`,
    // 6. a command whose output is registered
    `cat ${shq(`${dir}/motd`)}`,
    // 7. stat a file
    `stat -c '%s %a %U' ${shq(`${dir}/app.conf`)}`,
    // 8. a file mode
    `chmod 0640 ${shq(`${dir}/motd`)}`,
    // 9. a command with become (the check stays on the host: the floor parses nothing)
    `[ "$(sudo -n id -u)" = 0 ]`,
    // 10. ensure a path is absent
    `rm -rf ${shq(`${dir}/stale`)}`,
  ];
}

/** What `stat` prints for the path information Ansible registers (state, mode, owner, ids, size, links). */
const PATH_INFO = `stat -L -c '%F|%a|%u|%g|%U|%G|%s|%h' --`;

/**
 * The floor with Ansible's module semantics: the same ten tasks, still one plain command per task
 * on one connection per host, each doing on the host the least that Ansible's modules promise and
 * no more: a probe where the result depends on the path's state (file mode, file absent,
 * lineinfile), the path information Ansible registers after a create (a `stat`), writes as a temp
 * file renamed over the destination (atomic, the old file's mode kept), the shell module's
 * /bin/sh, become's /bin/sh under sudo, and the stat module's defaults (sha1 checksum, `file`'s
 * mime type and charset, lsattr's attributes). No templating, parsing or reporting on the
 * controller, and no comparison that a declarative tool makes to report changed/ok. It measures
 * what those semantics cost the hosts, apart from any engine: runbook's ratio to this floor is
 * its own overhead, its ratio to the plain floor includes the semantics.
 */
export function ansibleFloorCommands(root: string, host: string): string[] {
  const dir = hostDir(root, host);
  const d = shq(dir);
  const f = (n: string): string => shq(`${dir}/${n}`);
  const tmp = (n: string): string => shq(`${dir}/.${n}.floor.tmp`);
  const write = (n: string, content: string): string => `printf %s ${shq(content)} > ${tmp(n)} && mv -f -- ${tmp(n)} ${f(n)} && ${PATH_INFO} ${f(n)}`;
  return [
    // 1. probe (a test), mkdir with its mode, the path information
    `if [ -d ${d} ]; then ${PATH_INFO} ${d}; else mkdir -p -m 0755 -- ${d} && ${PATH_INFO} ${d}; fi`,
    // 2. and 3. atomic writes, and the path information of the result
    write('motd', MOTD),
    write('app.conf', renderAppConf(host)),
    // 4. `creates` tested, the command in /bin/sh
    `[ -e ${f('seed')} ] || /bin/sh -c ${shq(`printf 'alpha\nbeta\n' > ${f('seed')} && mkdir -p ${f('stale')}`)}`,
    // 5. the file read (its state and content), the edit written atomically with the old mode
    `${PATH_INFO} ${f('seed')} >/dev/null && t=$(< ${f('seed')}) && case "$t" in *${shq(LINE)}*) ;; *) printf '%s\n%s\n' "$t" ${shq(LINE)} > ${tmp('seed')} && chmod --reference=${f('seed')} -- ${tmp('seed')} && mv -f -- ${tmp('seed')} ${f('seed')} ;; esac`,
    // 6.
    `cat ${f('motd')}`,
    // 7. the stat module's defaults: path information, checksum, mime type, attributes
    `${PATH_INFO} ${f('app.conf')} && sha1sum < ${f('app.conf')} && file -b --mime-type --mime-encoding -- ${f('app.conf')} && lsattr -vd -- ${f('app.conf')}`,
    // 8. the probe gives the path information Ansible registers; then the mode
    `${PATH_INFO} ${f('motd')} && chmod 0640 -- ${f('motd')}`,
    // 9. become: sudo runs the command in /bin/sh
    `[ "$(sudo -n /bin/sh -c 'id -u')" = 0 ]`,
    // 10. the probe (what was there: the diff Ansible returns), then the removal
    `if [ -e ${f('stale')} ] || [ -L ${f('stale')} ]; then ${PATH_INFO} ${f('stale')} && rm -rf -- ${f('stale')}; fi`,
  ];
}

/**
 * One command that prints a host directory's end state (names, types, modes, contents), used
 * after a run to check that a tool really did the work. The host name is replaced by HOST so
 * the outputs of different hosts and tools compare equal.
 */
export function verifyCommand(root: string, host: string): string {
  const d = shq(hostDir(root, host));
  return (
    `cd ${d} 2>/dev/null || { echo MISSING; exit 0; }; ` +
    `find . -printf '%p %y %m\\n' | LC_ALL=C sort; ` +
    `for f in motd app.conf seed; do echo "== $f"; cat "$f" 2>/dev/null || echo '(none)'; done`
  );
}
