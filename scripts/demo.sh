#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine as root with Node 20 and npm:
#   1. install runbook's dependencies and build it;
#   2. bring up a local lab: two Debian 12 hosts with Apache + certbot (allmon, dms) and a
#      Pebble ACME server, in network namespaces (the lab installs the Debian packages it needs);
#   3. apply both shipped playbooks over SSH: allmon3.yml on allmon (certbot's Apache plugin,
#      redirect, HSTS) and dms.yml on dms (certbot standalone, port 80 freed and restored);
#   4. show the result from outside the hosts: HTTP answers 301 to HTTPS, HTTPS serves a
#      certificate that verifies against the ACME server's root, with HSTS;
#   5. run both again: nothing changes;
#   6. bring the lab down (also on failure or Ctrl-C).
# KEEP_LAB=1 leaves the lab running for a look around (`node bin/runbook.js lab down --name demo`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then echo "demo: run as root (the lab creates network namespaces)" >&2; exit 1; fi
LAB=demo
RB=(node bin/runbook.js)
OUT=$(mktemp -d /tmp/runbook-demo.XXXXXX)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "install and build runbook"
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent

down() {
  if [ "${KEEP_LAB:-0}" = 1 ]; then echo "lab '$LAB' left running (KEEP_LAB=1)"; return; fi
  step "lab down"
  "${RB[@]}" lab down --name "$LAB" || true
}
trap down EXIT

step "lab up: Debian hosts allmon and dms (Apache + certbot), Pebble ACME server"
"${RB[@]}" lab up --name "$LAB" --hosts 0 --full allmon,dms --layer apache
"${RB[@]}" lab inventory --name "$LAB" --out "$OUT/lab"
INV=$OUT/lab/inventory.yml

common=(-i "$INV" -e email=noc@example.org -e apt_upgrade=false)
step "apply playbooks/allmon3.yml on allmon"
"${RB[@]}" apply playbooks/allmon3.yml "${common[@]}" --limit allmon --retry-file "$OUT/allmon3.retry"
step "apply playbooks/dms.yml on dms"
"${RB[@]}" apply playbooks/dms.yml "${common[@]}" --limit dms -e certbot_install_method=apt --retry-file "$OUT/dms.retry"

step "the result, seen from outside the hosts"
STATE=$("${RB[@]}" lab status --name "$LAB" --json)
addr() { node -e 'const s=JSON.parse(process.argv[1]); const h=(s.hosts||[]).find(h=>h.name===process.argv[2]); process.stdout.write(h.address)' "$STATE" "$1"; }
root=$(node -e 'const s=JSON.parse(process.argv[1]); process.stdout.write(s.info.acme.rootPemFile)' "$STATE")
A=$(addr allmon); D=$(addr dms)
echo "http://allmon.lab.test/  -> $(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' --resolve allmon.lab.test:80:"$A" http://allmon.lab.test/)"
curl -sS -o /dev/null -D - --cacert "$root" --resolve allmon.lab.test:443:"$A" https://allmon.lab.test/ | grep -iE '^(HTTP/|strict-transport-security)'
echo "https://allmon.lab.test/ certificate: $(echo | openssl s_client -connect "$A:443" -servername allmon.lab.test 2>/dev/null | openssl x509 -noout -issuer -enddate | tr '\n' ' ')"
echo "dms certificate: $("${RB[@]}" apply playbooks/dms.yml "${common[@]}" --limit dms -e certbot_install_method=apt --json --retry-file "$OUT/dms.retry" | tail -n 1 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(JSON.stringify(r.outputs?.dms ?? {}))})')"

step "second run: nothing changes"
for pb in allmon3:allmon dms:dms; do
  p=${pb%%:*}; h=${pb##*:}
  extra=(); [ "$p" = dms ] && extra=(-e certbot_install_method=apt)
  "${RB[@]}" apply "playbooks/$p.yml" "${common[@]}" --limit "$h" "${extra[@]}" --json --retry-file "$OUT/$p.retry" | tail -n 1 |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);for(const[h,st] of Object.entries(r.hosts)){console.log(`'"$p"'.yml on ${h}: changed=${st.changed} failed=${st.failed} unreachable=${st.unreachable}`); if(st.changed||st.failed||st.unreachable) process.exitCode=1}})'
done
step "done"
