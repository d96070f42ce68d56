#!/usr/bin/env bash
# Issue 17 on a `./dev up` stack of its own (its PostgreSQL, the four services, the four demo
# connectors with --metrics-listen, and the Prometheus ./dev up starts):
#   lint       every service's /metrics (gateway with the reader's token, resolver, outbound,
#              each connector) passes `promtool check metrics`
#   connector  a row inserted into CRM's table: CRM's pushed_total rises, ERP's applied_total
#              rises; with CRM's push lock held, outbox_pending_rows and the oldest pending age
#              rise from 0; released, the outbox drains and pending_rows is 0 again; a parked row
#              shows in parked_rows{direction="outbound"} and leaves it; an inbound change ERP
#              cannot hold exactly is parked, counted, reported as ERP's dead letter (never
#              refused as another source's), counted by /api/sources, not replayable
#   names      every metric the dashboard (deploy/grafana) and the alert rules
#              (deploy/prometheus/alerts.yml) name is in the live /metrics answers
#   prometheus ./dev up's Prometheus scrapes every target (all up) and loaded the alert rules;
#              ./dev down stops it
# Usage: monitoring_stack_test.sh ROOT BUILD_DIR (ctest runs it with the build done).
set -euo pipefail
ROOT="$1"
export SYNCHUB_BUILD_DIR="$2"
source "$ROOT/tests/e2e/own_stack.sh" monitoring  # work, a free port base, stack.sh's variables
lock_pid=""
cleanup() {
  [ -n "$lock_pid" ] && kill "$lock_pid" 2>/dev/null
  "$ROOT/dev" down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
source "$ROOT/tests/e2e/stack_test_lib.sh"  # check, wait_for, hub_sql, local_sql

started=$SECONDS
"$ROOT/dev" up >"$work/up.out" 2>&1 || { cat "$work/up.out"; exit 1; }
echo "stack up in $((SECONDS - started)) s (port base $SYNCHUB_PORT_BASE)"
READER="$(stack_token reader)"

# scrape NAME: NAME's /metrics into $work/NAME.prom; false when it does not answer 200.
scrape() {
  local url auth=()
  case "$1" in
    gateway) url="http://127.0.0.1:$HTTP_PORT/metrics" auth=(-H "Authorization: Bearer $READER") ;;
    resolver) url="http://127.0.0.1:$RESOLVER_METRICS_PORT/metrics" ;;
    outbound) url="http://127.0.0.1:$OUTBOUND_METRICS_PORT/metrics" ;;
    *) url="http://127.0.0.1:$(_stack_connector_metrics_port "$1")/metrics" ;;
  esac
  curl -sf "${auth[@]}" "$url" >"$work/$1.prom"
}
# metric SOURCE SERIES: the sum of the samples of SERIES (a name, optionally with labels that
# must all be present) in SOURCE's /metrics; 0 when absent.
metric() {
  scrape "$1" >/dev/null || { echo -1; return; }
  local name="${2%%\{*}" labels=""
  [[ "$2" == *"{"* ]] && labels="${2#*\{}" && labels="${labels%\}}"
  awk -v name="$name" -v labels="$labels" '
    $1 ~ ("^" name "({|$)") {
      ok = 1; n = split(labels, want, ",")
      for (i = 1; i <= n; i++) if (index($1, want[i]) == 0) ok = 0
      if (ok) sum += $NF
    }
    END { printf "%.6g\n", sum + 0 }' "$work/$1.prom"
}
above() { awk -v a="$(metric "$1" "$2")" -v b="$3" 'BEGIN { exit !(a > b) }'; }
equals() { [ "$(metric "$1" "$2")" = "$3" ]; }

# dead-letter series -----------------------------------------------------------------------
# Each reason's series is there at 0 before any dead letter, so that the first one of a reason
# is an increase (SynchubDeadLettersRising).
for reason in DEPENDENCY_UNMET ETAG_RETRIES_EXHAUSTED DATABASE_REJECTED INTERNAL_ERROR \
  CONNECTOR_PUSH_FAILED CONNECTOR_APPLY_FAILED; do
  check "the resolver exports dead_letters_total{reason=$reason} at 0 from the start" \
    grep -q "^synchub_resolver_dead_letters_total{reason=\"$reason\"} 0\$" \
    <(scrape resolver && cat "$work/resolver.prom")
done

# connector --------------------------------------------------------------------------------
local_sql crm "INSERT INTO local_records (external_id, full_name, email, version)
               VALUES ('MON-1', 'Monitored One', 'mon1@example.com', 1)" >/dev/null
check "CRM's pushed_total counts the pushed row by outcome (NEW_RECORD)" \
  wait_for 20 above CRM 'synchub_connector_pushed_total{outcome="NEW_RECORD",source="CRM"}' 0
check "ERP's applied_total rises when the change arrives" \
  wait_for 20 above ERP 'synchub_connector_applied_total{source="ERP"}' 0
below() { awk -v a="$(metric "$1" "$2")" -v b="$3" 'BEGIN { exit !(a >= 0 && a < b) }'; }
check "CRM hears from the hub (silence under 3 s)" below CRM synchub_connector_hub_silence_seconds 3
pushed_before="$(metric CRM synchub_connector_pushed_total)"
# Hold CRM's push lock (connector_sync.cpp, kPushLock) from another session: rows wait.
coproc LOCK { "$PG_BIN/psql" -X -q -tA "$PG_CONN dbname=crm"; }
lock_pid=$LOCK_PID
echo "SELECT 'locked' FROM pg_advisory_lock(7366);" >&"${LOCK[1]}"
read -r -t 10 answer <&"${LOCK[0]}" || answer=""
check "the push lock is held" test "$answer" = locked
local_sql crm "INSERT INTO local_records (external_id, full_name, email, version)
               VALUES ('MON-2', 'Monitored Two', 'mon2@example.com', 1),
                      ('MON-3', 'Monitored Three', 'mon3@example.com', 1)" >/dev/null
check "CRM's outbox_pending_rows shows the 2 waiting rows" \
  wait_for 15 equals CRM synchub_connector_outbox_pending_rows 2
check "CRM's oldest pending age grows past 1 s" \
  wait_for 15 above CRM synchub_connector_outbox_oldest_pending_seconds 1
printf 'SELECT pg_advisory_unlock(7366);\n\\q\n' >&"${LOCK[1]}"
wait "$lock_pid" 2>/dev/null || true
lock_pid=""
check "released, CRM pushes them (pushed_total +2)" \
  wait_for 20 above CRM synchub_connector_pushed_total "$((${pushed_before%.*} + 1))"
check "CRM's outbox_pending_rows returns to 0" \
  wait_for 15 equals CRM synchub_connector_outbox_pending_rows 0
check "CRM's oldest pending age returns to 0" \
  wait_for 15 equals CRM synchub_connector_outbox_oldest_pending_seconds 0
# A parked row counts in parked_rows, is reported to the hub (a CONNECTOR_PUSH_FAILED dead
# letter: the resolver's dead-letter family gets a sample), and leaves the gauge once removed.
local_sql portal "INSERT INTO synchub_outbox (entity, external_id, op, version, fields, parked,
                    retry_count, last_error)
                  VALUES ('client', 'MON-PARKED', 'upsert', 1, '{\"fullName\": \"P\"}', true, 5,
                          'refused 5 times (monitoring test)')" >/dev/null
check "Portal's parked_rows{direction=outbound} shows the parked row" \
  wait_for 15 equals Portal 'synchub_connector_parked_rows{direction="outbound"}' 1
check "the parked row reaches the hub as a dead letter (resolver dead_letters_total)" \
  wait_for 15 above resolver 'synchub_resolver_dead_letters_total{reason="CONNECTOR_PUSH_FAILED"}' 0
local_sql portal "DELETE FROM synchub_outbox WHERE external_id = 'MON-PARKED'" >/dev/null
check "and parked_rows drops to 0 once it is gone" \
  wait_for 15 equals Portal 'synchub_connector_parked_rows{direction="outbound"}' 0
# An inbound change ERP's column cannot hold exactly (10.005 into numeric(12,2)) is parked
# there, counted in parked_rows{direction="inbound"}, and reported under ERP's own name (the
# gateway refuses a report as another source): a CONNECTOR_APPLY_FAILED dead letter that
# /api/sources counts as ERP's parked row and that the hub refuses to replay.
local_sql erp "SET synchub.allow_ddl = on;
               ALTER TABLE local_orders ALTER COLUMN amount TYPE numeric(12,2)" >/dev/null
local_sql crm "INSERT INTO local_orders (external_id, amount) VALUES ('MON-EXACT', 10.005)" >/dev/null
check "ERP's parked_rows{direction=inbound} shows the change it cannot hold" \
  wait_for 20 equals ERP 'synchub_connector_parked_rows{direction="inbound"}' 1
apply_failed_id() {
  hub_sql "SELECT id FROM dead_letter WHERE reason = 'CONNECTOR_APPLY_FAILED' AND source = 'ERP'
             AND event->>'externalId' = 'MON-EXACT'"
}
has_apply_failed() { [ -n "$(apply_failed_id)" ]; }
check "it reaches the hub as a CONNECTOR_APPLY_FAILED dead letter of ERP" wait_for 20 has_apply_failed
check "ERP's connector was never refused its report" \
  bash -c "! grep -q 'refuses the report' '$STACK_DIR/logs/connector-erp.log'"
erp_parked_rows() {
  curl -sf -H "Authorization: Bearer $READER" "http://127.0.0.1:$HTTP_PORT/api/sources/ERP" |
    python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["parkedRows"] == 1 else 1)'
}
check "GET /api/sources/ERP counts 1 parked row" erp_parked_rows
replay_status="$(curl -s -o "$work/replay.json" -w '%{http_code}' -X POST \
  -H "Authorization: Bearer $(stack_token operator)" -H 'Content-Type: application/json' -d '{}' \
  "http://127.0.0.1:$HTTP_PORT/api/dead-letters/$(apply_failed_id)/replay")"
check "replaying it answers 409 not_replayable ($replay_status)" \
  bash -c "[ '$replay_status' = 409 ] && grep -q not_replayable '$work/replay.json'"
# (A POST without a body length, as `curl -X POST` sends it, is told which header to send.)
curl -s -o "$work/nolength.json" -X POST -H "Authorization: Bearer $(stack_token operator)" \
  "http://127.0.0.1:$HTTP_PORT/api/dead-letters/$(apply_failed_id)/replay" || true
check "a POST without Content-Length answers 400 naming Content-Length" \
  grep -q '"key":"Content-Length"' "$work/nolength.json"
check "and it stays dead" [ "$(hub_sql "SELECT status FROM dead_letter WHERE id = $(apply_failed_id)")" = dead ]
check "ERP holds no rounded amount (10.01)" \
  [ "$(local_sql erp "SELECT count(*) FROM local_orders WHERE external_id = 'MON-EXACT'")" = 0 ]

# One event over HTTP: the gateway's outcome family gets a sample.
sync_over_http() {
  curl -sf -X POST "http://127.0.0.1:$HTTP_PORT/api/sync" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $(stack_token ERP)" \
    -d '{"externalId":"MON-HTTP","source":"ERP","version":1,"fullName":"Over HTTP"}' >/dev/null
}
check "POST /api/sync answers" sync_over_http
check "the gateway counts its outcome (synchub_outcomes_total)" \
  above gateway synchub_outcomes_total 0

# lint (now that every family has samples) ---------------------------------------------
SERVICES=(gateway resolver outbound CRM ERP Portal LocalDB)
lint() { promtool check metrics <"$work/$1.prom" >"$work/$1.lint" 2>&1 || { cat "$work/$1.lint"; return 1; }; }
for service in "${SERVICES[@]}"; do
  check "$service /metrics answers" scrape "$service"
  check "$service /metrics passes promtool check metrics" lint "$service"
done

# names ------------------------------------------------------------------------------------
names_exported() {
  local files=() service
  for service in "${SERVICES[@]}"; do files+=("$work/$service.prom"); done
  python3 "$ROOT/tests/monitoring/dashboard_check.py" "$ROOT" --live "${files[@]}"
}
check "every metric of the dashboard and the alert rules is exported (live /metrics)" names_exported

# prometheus -------------------------------------------------------------------------------
PROM="http://127.0.0.1:$PROMETHEUS_PORT"
all_targets_up() {
  local targets
  targets="$(curl -sf "$PROM/api/v1/targets")" || return 1
  python3 - "$targets" <<'PY'
import json, sys
active = json.loads(sys.argv[1])["data"]["activeTargets"]
jobs = sorted({t["labels"]["job"] for t in active})
sys.exit(0 if len(active) == 7 and all(t["health"] == "up" for t in active)
         and jobs == ["synchub-connector", "synchub-gateway", "synchub-outbound", "synchub-resolver"] else 1)
PY
}
check "./dev up's Prometheus scrapes all 7 targets, all up" wait_for 30 all_targets_up ||
  curl -s "$PROM/api/v1/targets" | head -c 2000
rules_loaded() {
  curl -sf "$PROM/api/v1/rules" | python3 -c '
import json, sys
rules = [r for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]
sys.exit(0 if len(rules) >= 9 and all(r["health"] != "err" for r in rules) else 1)'
}
check "and loaded the alert rules of deploy/prometheus/alerts.yml" wait_for 15 rules_loaded
prom_pid="$(cat "$STACK_DIR/run/prometheus.pid")"
"$ROOT/dev" down >/dev/null 2>&1
check "./dev down stops Prometheus" bash -c "! kill -0 $prom_pid 2>/dev/null"

echo "done in $((SECONDS - started)) s"
if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) FAILED (logs: $STACK_DIR/logs)"
  trap - EXIT
  "$ROOT/dev" down >/dev/null 2>&1 || true
  exit 1
fi
