#!/usr/bin/env bash
# Issue 14's figures: a snapshot of 100,000 rows from a fifth source, and reconcile of 100,000
# equal rows and of the same with 100 differing, on `./dev up`'s stack (the four demo
# connectors running and receiving every new record). Prints a markdown table.
#   sourced by tools/bench/bench.sh: `attach_bench` on the stack it started (stack.sh loaded);
#   alone: attach_bench.sh ROOT BUILD_DIR  (starts a stack of its own, prints, stops it).
attach_bench() {
  local t0 started snapshot_seconds snapshot_rate run connector equal drift found
  local sql=(/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1)
  "${sql[@]}" "$PG_CONN dbname=postgres" -c "CREATE DATABASE benchsnap" >/dev/null
  "${sql[@]}" "$PG_CONN dbname=benchsnap" -f "$ROOT/deploy/demo/local_source.sql" >/dev/null
  "${sql[@]}" "$PG_CONN dbname=benchsnap" -c "INSERT INTO local_records SELECT
    'S-' || lpad(i::text, 7, '0'), 'Snapshot ' || i, 's' || i || '@example.com', 1
    FROM generate_series(1, 100000) i" >/dev/null
  "${sql[@]}" "$PG_CONN dbname=$HUB_DB" -c "INSERT INTO source_priority (source, priority)
    VALUES ('BenchSnap', 9)" >/dev/null
  _stack_connector_config BenchSnap >"$STACK_DIR/benchsnap.json"
  connector=("$BUILD/services/connector/synchub-connector" --config "$STACK_DIR/benchsnap.json")
  "${connector[@]}" setup >/dev/null
  started=$(date +%s.%N)
  "${connector[@]}" snapshot >"$STACK_DIR/snapshot.out" 2>"$STACK_DIR/snapshot.err"
  snapshot_seconds="$(python3 -c "import time; print(round(time.time() - $started, 1))")"
  snapshot_rate="$(python3 -c "print(int(100000 / $snapshot_seconds))")"
  timed() {  # the wall seconds of one reconcile (its exit code is the comparison's answer)
    t0=$(date +%s.%N)
    "${connector[@]}" reconcile >/dev/null 2>&1 || true
    python3 -c "import time; print(round(time.time() - $t0, 2))"
  }
  # The other sources apply the 100,000 new records first (up to 3 minutes), so that reconcile
  # is timed on a settled stack.
  local waited=0
  while [ "$("${sql[@]}" -tA "$PG_CONN dbname=$HUB_DB" -c "SELECT coalesce(sum(unacknowledged_records), 0)
           FROM source_lag WHERE source IN ('CRM', 'ERP', 'Portal', 'LocalDB')")" != 0 ] &&
        [ $waited -lt 900 ]; do
    sleep 0.2
    waited=$((waited + 1))
  done
  equal=()
  for run in 1 2 3; do equal+=("$(timed)"); done
  "${sql[@]}" "$PG_CONN dbname=benchsnap" -c "SET session_replication_role = replica;
    UPDATE local_records SET email = 'drift@example.com' WHERE external_id IN
      (SELECT 'S-' || lpad((i * 997 % 100000 + 1)::text, 7, '0') FROM generate_series(1, 100) i)" >/dev/null
  drift=()
  for run in 1 2 3; do drift+=("$(timed)"); done
  "${connector[@]}" reconcile --json >"$STACK_DIR/reconcile_drift.json" 2>/dev/null || true
  found="$(python3 -c 'import json,sys
r = json.load(open(sys.argv[1])); c = [e for e in r["entities"] if e["entity"] == "client"][0]
print("%d differing found, %d ranges checksummed, %d hub rows read" % (c["differing"], c["rangesChecksummed"], c["hubRowsRead"]))' "$STACK_DIR/reconcile_drift.json")"
  # The same snapshot from a sixth source with the four demo connectors stopped: what applying
  # the fan-out in four databases costs on the same cores.
  local name alone_seconds alone_rate
  for name in crm erp portal localdb; do
    kill "$(cat "$STACK_DIR/run/connector-$name.supervisor")" 2>/dev/null || true
  done
  "${sql[@]}" "$PG_CONN dbname=postgres" -c "CREATE DATABASE benchsnap2" >/dev/null
  "${sql[@]}" "$PG_CONN dbname=benchsnap2" -f "$ROOT/deploy/demo/local_source.sql" >/dev/null
  "${sql[@]}" "$PG_CONN dbname=benchsnap2" -c "INSERT INTO local_records SELECT
    'T-' || lpad(i::text, 7, '0'), 'Alone ' || i, 't' || i || '@example.com', 1
    FROM generate_series(1, 100000) i" >/dev/null
  "${sql[@]}" "$PG_CONN dbname=$HUB_DB" -c "INSERT INTO source_priority (source, priority)
    VALUES ('BenchSnap2', 9)" >/dev/null
  _stack_connector_config BenchSnap2 >"$STACK_DIR/benchsnap2.json"
  "$BUILD/services/connector/synchub-connector" --config "$STACK_DIR/benchsnap2.json" setup >/dev/null
  started=$(date +%s.%N)
  "$BUILD/services/connector/synchub-connector" --config "$STACK_DIR/benchsnap2.json" snapshot \
    >"$STACK_DIR/snapshot_alone.out" 2>"$STACK_DIR/snapshot_alone.err"
  alone_seconds="$(python3 -c "import time; print(round(time.time() - $started, 1))")"
  alone_rate="$(python3 -c "print(int(100000 / $alone_seconds))")"
  # The demo connectors back, and their backlog (the sixth source's 100,000 records) applied,
  # so that what runs next on this stack (the latency probes) measures an idle hub.
  for name in crm erp portal localdb; do
    _stack_spawn "connector-$name" "$BUILD/services/connector/synchub-connector" \
      --config "$STACK_DIR/connectors/$name.json" run
  done
  for name in crm erp portal localdb; do _stack_wait_ready "connector-$name"; done
  local deadline=$((SECONDS + 600)) applied
  for name in crm erp portal localdb; do
    while applied="$("${sql[@]}" -tA "$PG_CONN dbname=$name" -c \
      "SELECT count(*) FROM local_records WHERE external_id LIKE 'T-%'")" &&
      [ "$applied" -lt 100000 ]; do
      [ $SECONDS -lt $deadline ] || die "attach bench: $name applied $applied of 100,000 rows in 600 s"
      sleep 1
    done
  done
  mid() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  echo "Attaching a populated source (issue 14; \`tools/bench/attach_bench.sh\`: a fifth source on"
  echo "\`./dev up\`'s stack, the four demo connectors running and receiving every new record):"
  echo
  echo "| measure | median | runs |"
  echo "|---|---|---|"
  echo "| snapshot: 100,000 new rows to the hub (fanned out to 4 sources), chunks of 1,000 | **${snapshot_rate} rows/s** (${snapshot_seconds} s) | 1 |"
  echo "| the same from a sixth source with the four demo connectors stopped (the hub still fans out to them) | **${alone_rate} rows/s** (${alone_seconds} s) | 1 |"
  echo "| reconcile: 100,000 equal rows | **$(mid "${equal[@]}") s** | ${equal[*]} s |"
  echo "| reconcile: 100,000 rows, 100 differing (${found}) | **$(mid "${drift[@]}") s** | ${drift[*]} s |"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  ROOT="$1"
  BUILD="$2"
  source "$ROOT/tools/dev/lib.sh"
  source "$ROOT/tools/dev/throwaway_pg.sh"
  SYNCHUB_STATE_DIR="$(mktemp -d /tmp/synchub-attach-bench.XXXXXX)"
  chmod 755 "$SYNCHUB_STATE_DIR"
  SYNCHUB_PORT_BASE="$(free_stack_port_base)"
  export SYNCHUB_STATE_DIR SYNCHUB_PORT_BASE
  BUILD_DIR="$BUILD"
  source "$ROOT/tools/dev/stack.sh"
  trap 'stack_down >/dev/null 2>&1; rm -rf "$SYNCHUB_STATE_DIR"' EXIT
  stack_up >/dev/null
  attach_bench
fi
