#!/usr/bin/env bash
# SPEC section 4 ("Faults"): every service rides out PostgreSQL restarting or being away and
# resumes by itself; nothing acknowledged is lost, nothing is applied twice, the sources
# converge. On a `./dev up` stack of its own (its own PostgreSQL cluster, the four services and
# the four demo connectors), with a syncload --verify load over ZeroMQ and over HTTP running and
# the four connectors' databases being edited, it injects each fault in turn:
#   restart     pg_ctl restart -m immediate (a crash and restart of PostgreSQL)
#   outage      pg_ctl stop -m fast; 20 s with no PostgreSQL; start
#   terminate   pg_terminate_backend of every backend of the hub's database at once
#   connector   pg_terminate_backend of every backend of CRM's and ERP's local databases
#   timeout     statement_timeout = 1 ms on the hub's database for 5 s (every statement fails)
# After each: every service still runs with the same pid (nothing was restarted by the
# supervisor), the load's acknowledged events are each in the resolution log (verified by
# syncload, exactly once by the log's unique key), no request went unanswered, and the four
# sources converge to the canonical records. Prints one line of figures per fault.
# Usage: db_faults_test.sh ROOT BUILD_DIR [FAULT...] (ctest runs it with the build done).
set -euo pipefail
ROOT="$1"
export SYNCHUB_BUILD_DIR="$2"
shift 2
FAULTS=("$@")
[ ${#FAULTS[@]} -gt 0 ] || FAULTS=(restart outage terminate connector timeout)
source "$ROOT/tests/e2e/own_stack.sh" faults  # work, a free port base, stack.sh's variables
editor_pid=""
cleanup() {
  [ -n "$editor_pid" ] && kill "$editor_pid" 2>/dev/null || true
  "$ROOT/dev" down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

source "$ROOT/tests/e2e/stack_test_lib.sh"  # check, wait_for, hub_sql, local_sql, admin_sql

"$ROOT/dev" up >"$work/up.out" 2>&1 || { cat "$work/up.out"; exit 1; }
SERVICES=(resolver ingest outbound connector-crm connector-erp connector-portal connector-localdb)
pids() { local n; for n in "${SERVICES[@]}"; do printf '%s=%s ' "$n" "$(cat "$STACK_DIR/run/$n.pid")"; done; }
all_alive() { local n; for n in "${SERVICES[@]}"; do kill -0 "$(cat "$STACK_DIR/run/$n.pid")" 2>/dev/null || return 1; done; }
no_restarts() { ! grep -l '^supervise: ' "$STACK_DIR"/logs/*.log >/dev/null 2>&1; }
pids_before="$(pids)"
# syncload's verification is the test's instrument, not a subject: it must not meet the
# "timeout" fault's 1 ms statement_timeout when the fault outlasts the load on a busy machine.
VERIFY_DB="$PG_CONN dbname=$HUB_DB options='-c statement_timeout=0'"
HTTP="http://127.0.0.1:$HTTP_PORT"
healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$HTTP/healthz")" = 200 ]; }

# The connectors' databases being edited: each source inserts and then keeps updating its own
# records (EDIT-<source>-<n>), a statement every 100 ms per source; errors while PostgreSQL is
# away are expected and ignored.
editor() {
  local round=0 db
  while :; do
    round=$((round + 1))
    for db in crm erp portal localdb; do
      local_sql "$db" "INSERT INTO local_records (external_id, full_name, email, version)
        VALUES ('EDIT-$db-$((round % 5))', 'Edit $db', '$db-$round@edit.example', 1)
        ON CONFLICT (external_id) DO UPDATE
          SET email = EXCLUDED.email, version = local_records.version + 1" >/dev/null 2>&1 || true
    done
    sleep 0.1
  done
}
editor &
editor_pid=$!

# The mapped fields and version of the records the sources edit (EDIT-*): the hub's canonical
# ones, and each source's local copy, in the same text form. (syncload submits as the sources
# without their databases, so its records are not in them: it checks those against the log.)
canonical_rows() {
  hub_sql "SELECT external_id, coalesce(fields->>'fullName', ''), coalesce(fields->>'email', ''),
                  version FROM canonical_record
            WHERE entity = 'client' AND NOT deleted AND external_id LIKE 'EDIT-%'
            ORDER BY external_id COLLATE \"C\""
}
local_rows() {
  local_sql "$1" "SELECT external_id, coalesce(full_name, ''), coalesce(email, ''), version
                    FROM local_records WHERE external_id LIKE 'EDIT-%' ORDER BY external_id COLLATE \"C\""
}
converged() {
  local db canonical
  canonical="$(canonical_rows)" || return 1
  [ "$(hub_sql "SELECT count(*) FROM conflict_log WHERE status = 'open'")" = 0 ] || return 1
  for db in crm erp portal localdb; do
    [ "$(local_rows "$db")" = "$canonical" ] || return 1
  done
}

inject() {  # inject FAULT: returns once the fault is over (PostgreSQL back, settings reset)
  case "$1" in
    restart)
      _pg_as_owner "$PG_BIN/pg_ctl" -D "$STACK_DIR/pg/data" -m immediate -w -t 60 restart >/dev/null ;;
    outage)
      _pg_as_owner "$PG_BIN/pg_ctl" -D "$STACK_DIR/pg/data" -m fast -w stop >/dev/null
      sleep 20
      _stack_pg_start ;;
    terminate)
      admin_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = '$HUB_DB' AND pid <> pg_backend_pid()" >/dev/null ;;
    connector)
      admin_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname IN ('crm', 'erp') AND pid <> pg_backend_pid()" >/dev/null ;;
    timeout)
      # New sessions get the setting; ending every backend makes all of them new ones.
      admin_sql "ALTER DATABASE $HUB_DB SET statement_timeout = '1ms'" >/dev/null
      admin_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = '$HUB_DB' AND pid <> pg_backend_pid()" >/dev/null
      sleep 5
      admin_sql "ALTER DATABASE $HUB_DB RESET statement_timeout" >/dev/null
      admin_sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = '$HUB_DB' AND pid <> pg_backend_pid()" >/dev/null ;;
    *) die "unknown fault $1" ;;
  esac
}

summary=()
for fault in "${FAULTS[@]}"; do
  echo "== $fault"
  duration=12
  [ "$fault" = outage ] && duration=32
  "$BUILD_DIR/services/syncload/syncload" --endpoint "tcp://127.0.0.1:$INGEST_ZMQ_PORT" --curve-keys "$STACK_DIR/keys" \
    --verify --allow-unavailable --db "$VERIFY_DB" --key-prefix "Z$fault" \
    --sources 4 --inflight 1 --batch 20 --rate 200 --duration "$duration" --records 200 \
    --conflict-share 0 >"$work/$fault.zmq.out" 2>&1 &
  zmq_load=$!
  "$BUILD_DIR/services/syncload/syncload" --http "$HTTP" --credentials "$STACK_DIR/credentials.json" \
    --verify --allow-unavailable --db "$VERIFY_DB" --key-prefix "H$fault" \
    --sources 4 --inflight 1 --rate 40 --duration "$duration" --records 100 \
    --conflict-share 0 >"$work/$fault.http.out" 2>&1 &
  http_load=$!
  sleep 3
  fault_started=$SECONDS
  inject "$fault"
  back=$SECONDS
  wait_for 60 healthy || true
  recovery=$((SECONDS - back))
  zmq_rc=0; wait "$zmq_load" || zmq_rc=$?
  http_rc=0; wait "$http_load" || http_rc=$?
  check "$fault: syncload over ZeroMQ verified, nothing unanswered (exit $zmq_rc)" [ "$zmq_rc" = 0 ]
  check "$fault: syncload over HTTP verified, nothing unanswered (exit $http_rc)" [ "$http_rc" = 0 ]
  [ "$zmq_rc" = 0 ] || tail -5 "$work/$fault.zmq.out"
  [ "$http_rc" = 0 ] || tail -5 "$work/$fault.http.out"
  check "$fault: every service runs with the same pid" all_alive
  check "$fault: the pids are the ones from the start" [ "$(pids)" = "$pids_before" ]
  check "$fault: no service was restarted by the supervisor" no_restarts
  # The sources converge once the editor pauses.
  kill -STOP "$editor_pid"
  converge_started=$SECONDS
  check "$fault: the four sources converge to the canonical records" wait_for 90 converged
  converge=$((SECONDS - converge_started))
  if ! converged; then
    for db in crm erp portal localdb; do
      echo "-- $db differs from the canonical records in:"
      diff <(canonical_rows) <(local_rows "$db") | head -8 || true
    done
    hub_sql "SELECT * FROM source_lag"
    hub_sql "SELECT count(*) FROM conflict_log WHERE status = 'open'"
  fi
  kill -CONT "$editor_pid"
  for transport in zmq http; do
    out="$work/$fault.$transport.out"
    acked="$(sed -n 's/^syncload: \([0-9]*\) events acknowledged.*/\1/p' "$out")"
    line="$(grep '^rejected ' "$out" || true)"
    verified="$(grep -o '^verification: [A-Z]* ([0-9]* acknowledged checked, [0-9]* missing' "$out" || true)"
    summary+=("$fault $transport: ${acked:-?} acknowledged; $verified; $line; fault lasted $((back - fault_started)) s, /healthz 200 ${recovery} s after, converged ${converge} s after the edits paused")
  done
  if [ "$zmq_rc" != 0 ] || [ "$http_rc" != 0 ]; then tail -5 "$work/$fault".*.out; fi
done

echo "== figures"
printf '%s\n' "${summary[@]}"
if [ "$failures" -gt 0 ]; then
  for log in "$STACK_DIR"/logs/*.log; do echo "---- $log"; tail -15 "$log"; done
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
