#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine as root with Node 20 and npm:
#   1. install runbook's dependencies and build it;
#   2. bring up a local lab: hosts with Apache + certbot and an Allmon3 stand-in page, on both
#      releases AllStarLink supports: Debian 12 (allmon, dms) and Debian 13 with systemd as
#      PID 1, as on a node (allmon13, dms13), and a Pebble ACME server, in network namespaces
#      (the lab installs the Debian packages it needs);
#   3. apply both shipped playbooks over SSH: allmon3.yml on allmon and allmon13 (certbot's
#      Apache plugin, redirect, HSTS) and dms.yml on dms and dms13 (certbot standalone, port 80
#      freed and restored);
#   4. show the result from outside the hosts: HTTP answers 301 to HTTPS, HTTPS serves the
#      Allmon3 dashboard with a certificate that verifies against the ACME server's root, HSTS;
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

step "lab up: Debian 12 hosts allmon and dms (Apache + certbot), Pebble ACME server"
"${RB[@]}" lab up --name "$LAB" --hosts 0 --full allmon,dms --layer apache --release 12
step "lab up: Debian 13 hosts allmon13 and dms13 (Apache + certbot), systemd as PID 1"
"${RB[@]}" lab up --name "$LAB" --full allmon13,dms13 --layer apache --release 13 --init systemd
"${RB[@]}" lab inventory --name "$LAB" --out "$OUT/lab"
INV=$OUT/lab/inventory.yml

common=(-i "$INV" -e email=noc@example.org -e apt_upgrade=false)
ALLMON=allmon,allmon13
DMS=dms,dms13
step "apply playbooks/allmon3.yml on $ALLMON"
"${RB[@]}" apply playbooks/allmon3.yml "${common[@]}" --limit "$ALLMON" --retry-file "$OUT/allmon3.retry"
step "apply playbooks/dms.yml on $DMS"
"${RB[@]}" apply playbooks/dms.yml "${common[@]}" --limit "$DMS" -e certbot_install_method=apt --retry-file "$OUT/dms.retry"

step "the result, seen from outside the hosts"
STATE=$("${RB[@]}" lab status --name "$LAB" --json)
addr() { node -e 'const s=JSON.parse(process.argv[1]); const h=(s.hosts||[]).find(h=>h.name===process.argv[2]); process.stdout.write(h.address)' "$STATE" "$1"; }
root=$(node -e 'const s=JSON.parse(process.argv[1]); process.stdout.write(s.info.acme.rootPemFile)' "$STATE")
for h in allmon allmon13; do
  A=$(addr "$h"); N=$h.lab.test
  echo "$N: $(node -e 'const h=JSON.parse(process.argv[1]).hosts.find(x=>x.name===process.argv[2]); console.log(`Debian ${h.release}, PID 1 ${h.init}`)' "$STATE" "$h")"
  echo "http://$N/  -> $(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' --resolve "$N:80:$A" "http://$N/")"
  curl -sS -o /dev/null -D - --cacert "$root" --resolve "$N:443:$A" "https://$N/" | grep -iE '^(HTTP/|strict-transport-security)'
  # the check a person makes: the dashboard itself, over HTTPS
  title=$(curl -sS --cacert "$root" --resolve "$N:443:$A" "https://$N/allmon3/" | grep -o '<title>[^<]*</title>' || true)
  echo "https://$N/allmon3/ -> ${title:-no Allmon3 page}"
  [ "$title" = "<title>Allmon3</title>" ]
  echo "https://$N/ certificate: $(echo | openssl s_client -connect "$A:443" -servername "$N" 2>/dev/null | openssl x509 -noout -issuer -enddate | tr '\n' ' ')"
done
"${RB[@]}" apply playbooks/dms.yml "${common[@]}" --limit "$DMS" -e certbot_install_method=apt --json --retry-file "$OUT/dms.retry" | tail -n 1 |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);for(const h of ["dms","dms13"])console.log(`${h} certificate: ${JSON.stringify(r.outputs?.[h] ?? {})}`)})'

step "second run: nothing changes"
for pb in allmon3:$ALLMON dms:$DMS; do
  p=${pb%%:*}; h=${pb##*:}
  extra=(); [ "$p" = dms ] && extra=(-e certbot_install_method=apt)
  "${RB[@]}" apply "playbooks/$p.yml" "${common[@]}" --limit "$h" "${extra[@]}" --json --retry-file "$OUT/$p.retry" | tail -n 1 |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);for(const[h,st] of Object.entries(r.hosts)){console.log(`'"$p"'.yml on ${h}: changed=${st.changed} failed=${st.failed} unreachable=${st.unreachable}`); if(st.changed||st.failed||st.unreachable) process.exitCode=1}})'
done
step "done"
