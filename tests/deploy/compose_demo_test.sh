#!/usr/bin/env bash
# ./dev compose-demo under test (ctest label `container`, not run by ./dev test: it needs root,
# a container engine and minutes): deploy/compose.yaml run by Debian's podman (runc) through
# docker-compose, images from the build's binaries and a debootstrapped Debian 12 base (made
# once, then cached), the demo's story over HTTP, every service healthy, Prometheus scraping
# every target; then everything torn down.
#
# Usage: compose_demo_test.sh ROOT BUILD_DIR   (ctest -L container, with the build done)
set -euo pipefail
root="$1"
build="$2"
log="$build/compose-demo/test.log"
mkdir -p "$build/compose-demo"
[ "$(id -u)" -eq 0 ] || { echo "compose_demo_test: needs root (podman as root, debootstrap)"; exit 1; }
started=$(date +%s)
status=0
SYNCHUB_NO_BUILD=1 SYNCHUB_BUILD_DIR="$build" "$root/dev" compose-demo >"$log" 2>&1 || status=$?
cat "$log"
fail() { echo "compose_demo_test: FAIL: $*"; exit 1; }
[ "$status" = 0 ] || fail "./dev compose-demo exited $status"
grep -q '5 of 5 scenarios as SPEC section 3 expects' "$log" || fail "the five scenarios did not all come out as SPEC section 3 expects"
grep -q 'applied after its client' "$log" || fail "the order was not applied after its client"
for source in CRM ERP Portal; do
  grep -Eq "^  $source +Lena Local <lena@local.example>" "$log" || fail "the LocalDB insert did not reach $source"
done
grep -q 'gateway /metrics with the reader.s token: HTTP 200' "$log" || fail "the gateway's /metrics refused the reader's token"
[ "$(grep -Ec '^  up +synchub-' "$log")" -ge 7 ] || fail "fewer than 7 Prometheus targets up"
grep -q 'every check passed' "$log" || fail "compose-demo did not report every check passed"
podman ps -a --filter label=com.docker.compose.project=synchub-demo --format '{{.Names}}' | grep -q . &&
  fail "containers of the project left after the teardown"
echo "compose_demo_test: ok in $(($(date +%s) - started)) s"
