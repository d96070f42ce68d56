#!/usr/bin/env bash
# Issue 14 on a real stack (`./dev up` of its own: PostgreSQL, the four services, the four demo
# connectors): attaching a populated source, reconciling drift, resuming a killed snapshot, and
# recovering from a hub database restored from an older backup.
#   fifth     a fifth source (Archive, priority 5) on a new database holding 10,000 rows, 300
#             of their keys also at the hub (from CRM, other values and versions), 100 hub keys
#             it lacks: setup, snapshot (while a second process keeps editing Archive-only
#             rows), run. The hub holds every row as the ladder decides, all five converge,
#             every concurrent edit is at the hub, Archive received the records it lacked.
#   drift     Portal's table changed with its triggers bypassed (3 rows updated, 2 deleted, 2
#             inserted): reconcile reports exactly those keys and exits 1; --repair; reconcile
#             exits 0; all five converge.
#   resume    a snapshot of 20,000 rows killed (-9) halfway, then run again: it resumes (does
#             not start over) and the hub logs each row exactly once.
#   restore   the hub's database restored from a dump taken before changes the connectors
#             acknowledged: the sources ahead are detected and reloaded; reconcile --repair on
#             each source pushes back what only they held; nothing the hub held is lost; all
#             converge.
# Usage: attach_source_test.sh ROOT BUILD_DIR [SCENARIO...] (ctest runs it with the build done).
set -euo pipefail
ROOT="$1"
export SYNCHUB_BUILD_DIR="$2"
shift 2
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(fifth drift resume restore)
source "$ROOT/tests/e2e/own_stack.sh" attach  # work, a free port base, stack.sh's variables
CONNECTOR="$BUILD_DIR/services/connector/synchub-connector"
pids_to_kill=()
cleanup() {
  local pid
  for pid in "${pids_to_kill[@]}"; do kill "$pid" 2>/dev/null || true; done
  "$ROOT/dev" down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

source "$ROOT/tests/e2e/stack_test_lib.sh"  # check, wait_for, hub_sql, local_sql, admin_sql

"$ROOT/dev" up >"$work/up.out" 2>&1 || { cat "$work/up.out"; exit 1; }
SOURCES=(crm erp portal localdb)
ARCHIVE_METRICS_PORT=$((SYNCHUB_PORT_BASE + 97))
archive_metric() {  # archive_metric PATTERN: the value of the first metric line matching PATTERN
  curl -s "http://127.0.0.1:$ARCHIVE_METRICS_PORT/metrics" | grep -E "$1" | head -1 | awk '{print $2}'
}

# A new source with its own database holding rows before the connector is set up.
new_source() {  # new_source NAME PRIORITY
  local db
  db="$(tr '[:upper:]' '[:lower:]' <<<"$1")"
  admin_sql "CREATE DATABASE $db" >/dev/null
  "$PG_BIN/psql" -X -q "$PG_CONN dbname=$db" -f "$ROOT/deploy/demo/local_source.sql" >/dev/null
  hub_sql "INSERT INTO source_priority (source, priority) VALUES ('$1', $2)" >/dev/null
  _stack_connector_config "$1" >"$work/$db.json"
}

canonical_rows() {
  hub_sql "SELECT external_id, coalesce(fields->>'fullName', ''), coalesce(fields->>'email', ''),
                  version FROM canonical_record WHERE entity = 'client' AND NOT deleted
            ORDER BY external_id COLLATE \"C\""
}
local_rows() {
  local_sql "$1" "SELECT external_id, coalesce(full_name, ''), coalesce(email, ''), version
                    FROM local_records ORDER BY external_id COLLATE \"C\""
}
converged() {  # converged DB...: each DB's table equals the canonical records
  local db canonical
  canonical="$(canonical_rows)" || return 1
  [ -n "$canonical" ] || return 1
  for db in "$@"; do [ "$(local_rows "$db")" = "$canonical" ] || return 1; done
}
show_divergence() {
  local db
  for db in "$@"; do
    echo "-- $db against the canonical records:"
    diff <(canonical_rows) <(local_rows "$db") | head -6 || true
  done
}

scenario_fifth() {
  # The hub holds 400 records from CRM: K-00001..K-00300 (which Archive holds too, at versions
  # 1..5 against CRM's 3) and C-0001..C-0100 (which Archive lacks).
  local_sql crm "INSERT INTO local_records SELECT 'K-' || lpad(i::text, 5, '0'), 'CRM ' || i,
                   'crm' || i || '@example.com', 3 FROM generate_series(1, 300) i" >/dev/null
  local_sql crm "INSERT INTO local_records SELECT 'C-' || lpad(i::text, 4, '0'), 'CRM only ' || i,
                   'c' || i || '@example.com', 1 FROM generate_series(1, 100) i" >/dev/null
  check "fifth: CRM's 400 records reach every demo source" wait_for 60 converged "${SOURCES[@]}"
  new_source Archive 5
  local_sql archive "INSERT INTO local_records SELECT 'K-' || lpad(i::text, 5, '0'), 'Archive ' || i,
                       'a' || i || '@example.com', 1 + i % 5 FROM generate_series(1, 10000) i" >/dev/null
  "$CONNECTOR" --config "$work/archive.json" setup >/dev/null
  # An edit after setup, before the snapshot reads the row: the hub hears of the row first
  # through this update, which must carry the whole row (the hub has never heard of it).
  local_sql archive "UPDATE local_records SET full_name = 'edited before the snapshot'
                      WHERE external_id = 'K-09999'" >/dev/null
  # A second process edits Archive-only rows (K-00301 and above) while the snapshot runs; each
  # edit's value is remembered.
  (
    i=0
    while [ ! -f "$work/stop-editor" ]; do
      i=$((i + 1))
      key="K-$(printf %05d $((301 + (i * 7919) % 9700)))"
      local_sql archive "UPDATE local_records SET email = 'edit-$i@example.com' WHERE external_id = '$key'" >/dev/null
      echo "$key edit-$i@example.com" >>"$work/edits"
    done
  ) &
  local editor=$!
  pids_to_kill+=("$editor")
  local rc=0
  "$CONNECTOR" --config "$work/archive.json" snapshot --chunk-rows 500 >"$work/snapshot.out" \
    2>"$work/snapshot.err" || rc=$?
  touch "$work/stop-editor"
  wait "$editor" || true
  cat "$work/snapshot.out"
  check "fifth: snapshot exits 0 (exit $rc)" [ "$rc" = 0 ]
  check "fifth: the summary counts 10,000 rows read" grep -q "^snapshot .* 10000 rows read" "$work/snapshot.out"
  check "fifth: the summary counts the rows that changed the hub" grep -qE "^changed the hub: [1-9][0-9]{3}" "$work/snapshot.out"
  check "fifth: progress was shown" grep -q "rows answered" "$work/snapshot.err"
  check "fifth: edits were made during the snapshot ($(wc -l <"$work/edits"))" [ "$(wc -l <"$work/edits")" -gt 10 ]
  _stack_spawn connector-archive "$CONNECTOR" --config "$work/archive.json" run \
    --reconcile-every 2s --metrics-listen "127.0.0.1:$ARCHIVE_METRICS_PORT"
  _stack_wait_ready connector-archive
  check "fifth: all five sources converge" wait_for 120 converged "${SOURCES[@]}" archive
  converged "${SOURCES[@]}" archive || show_divergence "${SOURCES[@]}" archive
  check "fifth: the hub holds 10,100 live client records" [ "$(hub_sql "SELECT count(*) FROM canonical_record WHERE entity = 'client' AND NOT deleted")" = 10100 ]
  # The ladder's answers for the shared keys: Archive's newer versions (4, 5) win, its older
  # ones (1, 2) are skipped, and at version 3 CRM's higher priority keeps its values.
  check "fifth: K-00003 (Archive v4 > CRM v3) is Archive's" [ "$(hub_sql "SELECT fields->>'fullName' FROM canonical_record WHERE external_id = 'K-00003'")" = "Archive 3" ]
  check "fifth: K-00005 (Archive v1 < CRM v3) is CRM's" [ "$(hub_sql "SELECT fields->>'fullName' FROM canonical_record WHERE external_id = 'K-00005'")" = "CRM 5" ]
  check "fifth: K-00002 (v3 both, CRM higher priority) is CRM's" [ "$(hub_sql "SELECT fields->>'fullName' FROM canonical_record WHERE external_id = 'K-00002'")" = "CRM 2" ]
  check "fifth: Archive received the 100 records it lacked" [ "$(local_sql archive "SELECT count(*) FROM local_records WHERE external_id LIKE 'C-%'")" = 100 ]
  # Every concurrent edit: the last value written to each key is the canonical one.
  local lost=0 key value
  while read -r key value; do
    [ "$(hub_sql "SELECT fields->>'email' FROM canonical_record WHERE external_id = '$key'")" = "$value" ] || lost=$((lost + 1))
  done < <(awk '{last[$1] = $2} END {for (k in last) print k, last[k]}' "$work/edits")
  check "fifth: no edit made during the snapshot was lost ($lost lost)" [ "$lost" = 0 ]
  check "fifth: no record lost a field (no NULL name or email)" [ "$(hub_sql "SELECT count(*) FROM canonical_record WHERE entity = 'client' AND (fields->>'fullName' IS NULL OR fields->>'email' IS NULL)")" = 0 ]
  check "fifth: K-09999, edited before the snapshot read it, kept its email" [ "$(hub_sql "SELECT fields->>'fullName' || '|' || (fields->>'email') FROM canonical_record WHERE external_id = 'K-09999'")" = "edited before the snapshot|a9999@example.com" ]
}

scenario_drift() {
  local_sql portal "SET session_replication_role = replica;
    UPDATE local_records SET full_name = 'drifted' WHERE external_id IN ('K-00010', 'K-05000', 'K-09999');
    DELETE FROM local_records WHERE external_id IN ('K-00020', 'K-07000');
    INSERT INTO local_records VALUES ('DRIFT-1', 'only here', 'd1@example.com', 1),
                                     ('DRIFT-2', 'only here', 'd2@example.com', 2);" >/dev/null
  local rc=0
  "$CONNECTOR" --config "$STACK_DIR/connectors/portal.json" reconcile --json >"$work/drift.json" || rc=$?
  check "drift: reconcile exits 1 (exit $rc)" [ "$rc" = 1 ]
  check "drift: the report names exactly the changed rows" python3 - "$work/drift.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
client = [e for e in report["entities"] if e["entity"] == "client"][0]
keys = lambda kind: sorted(x["externalId"] for x in client["examples"][kind])
ok = (not report["equal"] and client["differing"] == 3 and client["missingLocally"] == 2
      and client["missingAtHub"] == 2
      and keys("differing") == ["K-00010", "K-05000", "K-09999"]
      and keys("missingLocally") == ["K-00020", "K-07000"]
      and keys("missingAtHub") == ["DRIFT-1", "DRIFT-2"]
      and all(x["fields"] == ["fullName"] for x in client["examples"]["differing"]))
if not ok: print(json.dumps(client, indent=1))
sys.exit(0 if ok else 1)
PY
  rc=0
  "$CONNECTOR" --config "$STACK_DIR/connectors/portal.json" reconcile --repair >"$work/repair.out" || rc=$?
  cat "$work/repair.out" | grep -v '^    '
  check "drift: reconcile --repair exits 0 (exit $rc)" [ "$rc" = 0 ]
  rc=0
  "$CONNECTOR" --config "$STACK_DIR/connectors/portal.json" reconcile >/dev/null || rc=$?
  check "drift: a second reconcile exits 0 (exit $rc)" [ "$rc" = 0 ]
  check "drift: all five sources converge (DRIFT-1 and -2 reached the others)" wait_for 60 converged "${SOURCES[@]}" archive
  converged "${SOURCES[@]}" archive || show_divergence "${SOURCES[@]}" archive
  # run --reconcile-every: Archive's periodic comparison finds a row changed behind its
  # triggers, and the metric shows it until a repair.
  periodic_equal() { [ "$(archive_metric '^synchub_connector_reconcile_runs_total\{.*result="equal"')" != "" ]; }
  check "drift: Archive's periodic reconcile ran and found it equal" wait_for 30 periodic_equal
  local_sql archive "SET session_replication_role = replica;
    UPDATE local_records SET email = 'behind-the-triggers' WHERE external_id = 'K-04242'" >/dev/null
  differing_is() { [ "$(archive_metric "^synchub_connector_reconcile_differences\\{.*entity=\"client\".*kind=\"differing\"")" = "$1" ]; }
  check "drift: the metric shows Archive's differing row" wait_for 30 differing_is 1
  "$CONNECTOR" --config "$work/archive.json" reconcile --repair >/dev/null || true
  check "drift: after the repair the metric is back to 0" wait_for 30 differing_is 0
  # An operator's reload: Portal's next session is a reverse load.
  check "drift: POST /api/sources/Portal/reload answers 202" [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(stack_token operator)" -X POST -d '' "http://127.0.0.1:$HTTP_PORT/api/sources/Portal/reload")" = 202 ]
  check "drift: a reload of an unknown source answers 404" [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(stack_token operator)" -X POST -d '' "http://127.0.0.1:$HTTP_PORT/api/sources/Nobody/reload")" = 404 ]
  portal_reloaded() { grep -q "Portal's reverse load (reload requested) is done" "$STACK_DIR/logs/outbound.log"; }
  check "drift: Portal's live session reloads" wait_for 30 portal_reloaded
  check "drift: Portal still equals the canonical records" wait_for 30 converged portal
}

scenario_resume() {
  new_source Archive2 6
  local_sql archive2 "INSERT INTO local_records SELECT 'R-' || lpad(i::text, 6, '0'), 'Resume ' || i,
                        'r' || i || '@example.com', 1 FROM generate_series(1, 20000) i" >/dev/null
  "$CONNECTOR" --config "$work/archive2.json" setup >/dev/null
  "$CONNECTOR" --config "$work/archive2.json" snapshot --chunk-rows 500 >/dev/null 2>&1 &
  local snapshot=$!
  pids_to_kill+=("$snapshot")
  halfway() { [ "$(local_sql archive2 "SELECT coalesce(sum(rows_read), 0) FROM synchub_snapshot")" -ge 6000 ]; }
  check "resume: the snapshot reads 6,000 rows" wait_for 120 halfway
  kill -9 "$snapshot" 2>/dev/null || true
  wait "$snapshot" 2>/dev/null || true
  local read_then
  read_then="$(local_sql archive2 "SELECT sum(rows_read) FROM synchub_snapshot")"
  check "resume: killed before the end ($read_then rows read)" [ "$read_then" -lt 20000 ]
  local rc=0
  "$CONNECTOR" --config "$work/archive2.json" snapshot --chunk-rows 500 >"$work/resume.out" \
    2>"$work/resume.err" || rc=$?
  check "resume: the second run exits 0 (exit $rc)" [ "$rc" = 0 ]
  check "resume: the second run resumes" grep -q "resumes" "$work/resume.err"
  check "resume: the run read 20,000 rows in all" grep -q "20000 rows read" "$work/resume.out"
  check "resume: the hub logs each row exactly once" [ "$(hub_sql "SELECT count(*) || '/' || count(DISTINCT external_id) FROM resolution_log WHERE source = 'Archive2'")" = "20000/20000" ]
  # Archive2 does not run: it is not part of the convergence checks that follow.
  hub_sql "DELETE FROM source_priority WHERE source = 'Archive2'" >/dev/null || true
}

scenario_restore() {
  "$PG_BIN/pg_dump" -Fc -f "$work/hub.dump" "$PG_CONN dbname=$HUB_DB"
  # Changes after the backup: they reach every source, then the hub forgets them.
  local_sql crm "UPDATE local_records SET email = 'after-backup-' || external_id
                  WHERE external_id BETWEEN 'K-00100' AND 'K-00109';
                 INSERT INTO local_records VALUES ('AFTER-1', 'after backup', 'after@example.com', 1)" >/dev/null
  local_sql erp "UPDATE local_records SET full_name = 'ERP after backup' WHERE external_id = 'K-02000'" >/dev/null
  check "restore: the changes after the backup reach every source" wait_for 60 converged "${SOURCES[@]}" archive
  local name
  for name in resolver ingest outbound; do kill "$(cat "$STACK_DIR/run/$name.supervisor")"; done
  # Each supervisor exits once its service has (the gateway may take a few seconds to close
  # Prometheus's keep-alive connection): `./dev up` skips a service whose supervisor still runs.
  wait_gone() {
    for name in resolver ingest outbound; do
      ! kill -0 "$(cat "$STACK_DIR/run/$name.supervisor")" 2>/dev/null || return 1
    done
  }
  check "restore: the hub's services stopped" wait_for 30 wait_gone
  admin_sql "DROP DATABASE $HUB_DB WITH (FORCE)" >/dev/null
  admin_sql "CREATE DATABASE $HUB_DB" >/dev/null
  "$PG_BIN/pg_restore" -d "$PG_CONN dbname=$HUB_DB" "$work/hub.dump"
  check "restore: the restored hub lacks the changes" [ "$(hub_sql "SELECT count(*) FROM canonical_record WHERE external_id = 'AFTER-1'")" = 0 ]
  "$ROOT/dev" up >"$work/up2.out" 2>&1 || { cat "$work/up2.out"; return 1; }
  ahead() { [ "$(grep -c "which the hub's log does not hold" "$STACK_DIR/logs/outbound.log")" -ge 5 ]; }
  check "restore: every source is found ahead of the hub's log and reloaded" wait_for 60 ahead
  reloaded() { [ "$(grep -c "reverse load (source ahead of the hub's log) is done" "$STACK_DIR/logs/outbound.log")" -ge 5 ]; }
  check "restore: the reverse loads end" wait_for 60 reloaded
  # The first sources reloaded keep and send back the rows only they hold (the others then
  # receive them as canonical records): at least one says so.
  check "restore: the connectors said which rows only they hold" grep -q "kept .* local row" "$STACK_DIR"/logs/connector-*.log
  local db config
  for db in "${SOURCES[@]}" archive; do
    config="$STACK_DIR/connectors/$db.json"
    [ "$db" = archive ] && config="$work/archive.json"
    "$CONNECTOR" --config "$config" reconcile --repair >"$work/restore-$db.out" || true
  done
  grep -h '^reconcile\|^repaired\|^synchub-connector' "$work"/restore-*.out || true
  check "restore: all five sources converge" wait_for 90 converged "${SOURCES[@]}" archive
  converged "${SOURCES[@]}" archive || show_divergence "${SOURCES[@]}" archive
  check "restore: AFTER-1, which only the sources held, is at the hub again" [ "$(hub_sql "SELECT fields->>'email' FROM canonical_record WHERE external_id = 'AFTER-1'")" = after@example.com ]
  check "restore: CRM's updates after the backup are at the hub again" [ "$(hub_sql "SELECT count(*) FROM canonical_record WHERE fields->>'email' LIKE 'after-backup-%'")" = 10 ]
  check "restore: ERP's update after the backup is at the hub again" [ "$(hub_sql "SELECT fields->>'fullName' FROM canonical_record WHERE external_id = 'K-02000'")" = "ERP after backup" ]
  for db in "${SOURCES[@]}" archive; do
    config="$STACK_DIR/connectors/$db.json"
    [ "$db" = archive ] && config="$work/archive.json"
    local rc=0
    "$CONNECTOR" --config "$config" reconcile >/dev/null || rc=$?
    check "restore: $db reconciles equal (exit $rc)" [ "$rc" = 0 ]
  done
}

for scenario in "${SCENARIOS[@]}"; do
  echo "== $scenario"
  started=$SECONDS
  "scenario_$scenario"
  echo "   ($((SECONDS - started)) s)"
done

if [ "$failures" -gt 0 ]; then
  for log in "$STACK_DIR"/logs/*.log; do echo "---- $log"; tail -15 "$log"; done
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
