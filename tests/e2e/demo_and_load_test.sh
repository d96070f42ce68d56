#!/usr/bin/env bash
# ./dev demo from a clean state, checked against SPEC section 3; then ./dev load (4 sources,
# 20,000 events, 10% same-version conflicts) on the demo's stack with its verification, and a
# smaller burst over HTTP (--http); then
# a second ./dev demo, which must say that it starts clean and pass again.
# Usage: demo_and_load_test.sh ROOT BUILD_DIR (ctest runs it with the build already done).
set -euo pipefail
ROOT="$1"
export SYNCHUB_BUILD_DIR="$2"
export SYNCHUB_NO_BUILD=1
source "$ROOT/tools/dev/lib.sh"
work="$(mktemp -d /tmp/synchub-demo-test.XXXXXX)"
chmod 755 "$work"  # PostgreSQL runs as `postgres` when we are root
export SYNCHUB_STATE_DIR="$work/state"
export SYNCHUB_PORT_BASE="$(free_stack_port_base)"
trap '"$ROOT/dev" down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

failures=0
expect() {  # expect FILE EXTENDED-REGEX WHAT
  if grep -Eq -- "$2" "$1"; then
    echo "ok      $3"
  else
    echo "FAILED  $3 (no line matches: $2)"
    failures=$((failures + 1))
  fi
}

check_demo() {  # check_demo OUTPUT
  local out="$1" row
  # The canonical table: externalId | lastSource | version | last outcome | ...
  while read -r key source outcome; do
    row="^ *$key *\\| *$source *\\| *[0-9]+ *\\| *$outcome *\\|"
    expect "$out" "$row" "$key: last outcome $outcome, lastSource $source"
  done <<'ROWS'
CUST-001 CRM PRIORITY_WIN
CUST-002 CRM STALE_SKIP
CUST-003 ERP FIELD_MERGE
CUST-004 CRM MANUAL
CUST-005 CRM NEW_RECORD
ROWS
  expect "$out" "CUST-004 CRM v5 +HTTP 409 +MANUAL" "the second CUST-004 v5 gets HTTP 409"
  expect "$out" "5 of 5 scenarios as SPEC section 3 expects" "the demo's own check of the five"
  expect "$out" "^ +ORD-[0-9]+ .*HTTP 202 +DEFERRED" "the Order before its Client is deferred (202)"
  expect "$out" "ORD-[0-9]+ in the canonical records: yes" "the deferred Order lands after its Client"
  local source
  for source in LocalDB CRM ERP Portal; do
    expect "$out" "^ +$source +Lena Local <lena@local.example>" "the LocalDB insert is in $source"
  done
}

echo "== first ./dev demo (clean state)"
"$ROOT/dev" demo >"$work/demo1.out" 2>&1 || { cat "$work/demo1.out"; exit 1; }
check_demo "$work/demo1.out"
expect "$work/demo1.out" "demo: starting a clean stack" "the first demo says it starts clean"

echo "== ./dev load on the demo's stack"
"$ROOT/dev" load --sources 4 --events 20000 --conflict-share 0.1 --batch 200 \
  >"$work/load.out" 2>&1 || { cat "$work/load.out"; exit 1; }
expect "$work/load.out" "^syncload: 20000 events acknowledged" "all 20,000 events acknowledged"
expect "$work/load.out" "^verification: PASSED \\(20000 acknowledged checked, 0 missing" \
  "every acknowledged event in the log once, replay reproduces outcomes and state"
expect "$work/load.out" "MANUAL=[1-9]" "same-version conflicts reached MANUAL"
expect "$work/load.out" "PRIORITY_WIN=[1-9]" "same-version conflicts reached PRIORITY_WIN"
tail -4 "$work/load.out"

echo "== ./dev load --http (POST /api/sync, one event per request)"
"$ROOT/dev" load --http "http://127.0.0.1:$((SYNCHUB_PORT_BASE + 80))" --sources 4 --events 2000 \
  --inflight 4 --key-prefix HTTP >"$work/load_http.out" 2>&1 || { cat "$work/load_http.out"; exit 1; }
expect "$work/load_http.out" "^syncload: 2000 events acknowledged" "all 2,000 HTTP events acknowledged"
expect "$work/load_http.out" "^verification: PASSED \\(2000 acknowledged checked, 0 missing" \
  "the HTTP burst verifies against the log"

echo "== second ./dev demo (the stack of the first is still up)"
"$ROOT/dev" demo >"$work/demo2.out" 2>&1 || { cat "$work/demo2.out"; exit 1; }
check_demo "$work/demo2.out"
expect "$work/demo2.out" "demo: a stack from an earlier run .*starting clean" \
  "the second demo says it replaces the earlier stack"

if [ "$failures" -gt 0 ]; then
  echo "---- first demo output"; cat "$work/demo1.out"
  echo "---- second demo output"; cat "$work/demo2.out"
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
