// Entry of the detached apt proxy process: node apt-proxy-main.js LISTEN_IP PORT CACHE_DIR
import { createAptProxy, mirrorHosts, readAptSources } from './apt-proxy.js';

const [ip, port, cacheDir] = process.argv.slice(2);
if (!ip || !port || !cacheDir) {
  process.stderr.write('usage: apt-proxy-main LISTEN_IP PORT CACHE_DIR\n');
  process.exitCode = 2;
} else {
  const allowed = new Set(mirrorHosts(readAptSources()));
  const server = createAptProxy({ allowed, cacheDir, log: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`) });
  server.listen(Number(port), ip, () => {
    process.stdout.write(`apt-proxy listening on ${ip}:${port} allowed=${[...allowed].join(',')} cache=${cacheDir}\n`);
  });
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
  });
}
