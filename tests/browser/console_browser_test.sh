#!/usr/bin/env bash
# The operator's console (issue 17) in Debian's chromium, headless, driven by puppeteer-core
# (tools/web/node_modules, installed by ./dev deps), on a `./dev demo` stack of its own with
# three parked rows of LocalDB reported as dead letters. console_browser_test.js holds the
# steps. The screenshots are the test's artifacts, in BUILD_DIR/console-screenshots/; with
# SYNCHUB_SCREENSHOTS=docs they refresh docs/console/ (linked from docs/operations.md,
# "Console"): `SYNCHUB_SCREENSHOTS=docs ctest --test-dir build -R console_browser`.
# Usage: console_browser_test.sh ROOT BUILD_DIR (ctest runs it with the build done).
set -euo pipefail
ROOT="$1"
export SYNCHUB_BUILD_DIR="$2"
for needed in /usr/bin/chromium "$ROOT/tools/web/node_modules/puppeteer-core/package.json"; do
  [ -e "$needed" ] || { echo "missing $needed: run ./dev deps" >&2; exit 1; }
done
source "$ROOT/tests/e2e/own_stack.sh" console  # work, a free port base, stack.sh's variables
source "$ROOT/tests/e2e/stack_test_lib.sh"  # hub_sql
trap '"$ROOT/dev" down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
started=$SECONDS

"$ROOT/dev" demo >"$work/demo.out" 2>&1 || { cat "$work/demo.out"; exit 1; }
echo "demo's stack up and its story told in $((SECONDS - started)) s"

# Three local changes LocalDB's connector parked and reported (as outbox_pusher.cpp reports
# them: the hub rejected them 5 times, as when a source was briefly unregistered): one to
# replay in the browser, one to discard, one left for the reader.
for n in 1 2 3; do
  hub_sql "INSERT INTO dead_letter (source, event_id, event, reason, detail, attempts) VALUES
    ('LocalDB', 'localdb-console-$n',
     '{\"eventId\":\"localdb-console-$n\",\"entity\":\"client\",\"externalId\":\"CUST-PARKED-$n\",
       \"source\":\"LocalDB\",\"version\":1,\"op\":\"upsert\",\"fields\":{\"fullName\":\"Parked Pat\"}}',
     'CONNECTOR_PUSH_FAILED', 'unknown_source (source): source LocalDB is not registered', 5)" >/dev/null
done

# A dead letter with a 256-byte externalId (the longest allowed): the table must wrap it.
long_id="CUST-LONG-$(printf 'X%.0s' $(seq 1 246))"
hub_sql "INSERT INTO dead_letter (source, event_id, event, reason, detail, attempts) VALUES
  ('ERP', 'erp-console-long', '{\"eventId\":\"erp-console-long\",\"entity\":\"client\",\"externalId\":\"$long_id\",
   \"source\":\"ERP\",\"version\":1,\"op\":\"upsert\",\"fields\":{\"fullName\":\"Long Lou\"}}',
   'CONNECTOR_PUSH_FAILED', 'unknown_source (source): source ERP is not registered', 5)" >/dev/null

shots="$SYNCHUB_BUILD_DIR/console-screenshots"
[ "${SYNCHUB_SCREENSHOTS:-}" = docs ] && shots="$ROOT/docs/console"
mkdir -p "$shots"
SYNCHUB_URL="http://127.0.0.1:$HTTP_PORT" \
  OPERATOR_TOKEN="$("$ROOT/dev" token operator)" \
  READER_TOKEN="$("$ROOT/dev" token reader)" \
  CRM_TOKEN="$("$ROOT/dev" token CRM)" \
  WEB_TOOLS="$ROOT/tools/web" SHOT_DIR="$shots" PROFILE_DIR="$work/chromium-profile" \
  node "$ROOT/tests/browser/console_browser_test.js"
echo "console browser test took $((SECONDS - started)) s; screenshots in $shots"
