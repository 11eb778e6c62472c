#!/usr/bin/env bash
# The one command that passes the tests on a fresh clone (README quick start; .ci/run calls it).
# Installs what it needs: npm dependencies here; the lab tests install their Debian packages
# themselves (openssh-server, sudo, iproute2, debootstrap, pebble, ...) and need root on Linux.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
npm run build
npm run typecheck
npm run lint
npx vitest run
