#!/usr/bin/env bash
# ./dev bench: measures synchub on this machine and writes the figures into docs/benchmarks.md.
# Usage: bench.sh ROOT BUILD_DIR. Sourced helpers: tools/dev/lib.sh, tools/dev/throwaway_pg.sh.
set -euo pipefail
ROOT="$1"
BUILD="$2"
RUNS="${SYNCHUB_BENCH_RUNS:-3}"
SECONDS_PER_RUN="${SYNCHUB_BENCH_SECONDS:-10}"
source "$ROOT/tools/dev/lib.sh"
source "$ROOT/tools/dev/throwaway_pg.sh"

OUT="$(mktemp -d /tmp/synchub-bench.XXXXXX)"
# A durable cluster: fsync and synchronous_commit on, as in production.
THROWAWAY_PG_EXTRA="-c fsync=on -c synchronous_commit=on -c shared_buffers=1GB \
  -c max_wal_size=8GB -c checkpoint_timeout=30min -c wal_buffers=64MB"
throwaway_pg_start
trap 'throwaway_pg_stop; pkill -P $$ || true' EXIT
PG="$SYNCHUB_TEST_PG"
PSQL=(/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1)
PGBENCH=/usr/lib/postgresql/15/bin/pgbench
PGPORT="$(sed -E 's/.*port=([0-9]+).*/\1/' <<<"$PG")"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

info "bench: ladder micro-benchmark (one core)"
taskset -c 1 "$BUILD/services/resolver/core/synchub_ladder_bench" --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_format=json >"$OUT/ladder.json" 2>/dev/null
ladder_line() {
  python3 - "$OUT/ladder.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
for b in data["benchmarks"]:
    if b.get("aggregate_name") == "median":
        print(f"| `{b['run_name']}` | {b['items_per_second']/1e6:.2f} M/s |")
PY
}

info "bench: pgbench baseline (4 clients, ${SECONDS_PER_RUN}s each)"
"${PSQL[@]}" "$PG" -c "CREATE DATABASE pgbench_db"
"${PSQL[@]}" "$PG dbname=pgbench_db" -f "$ROOT/tools/bench/pgbench_setup.sql"
pgb() {
  "$PGBENCH" -h 127.0.0.1 -p "$PGPORT" -U synchub -n -c 4 -j 2 -T "$SECONDS_PER_RUN" \
    -f "$ROOT/tools/bench/$1" pgbench_db 2>/dev/null | awk '/^tps/ {print int($3)}'
}
one_tps=(); batch_tps=()
for _ in $(seq "$RUNS"); do
  one_tps+=("$(pgb pgbench_one_event.sql)")
  batch_tps+=("$(pgb pgbench_batch_100.sql)")
done
one_median="$(printf '%s\n' "${one_tps[@]}" | median)"
batch_median="$(printf '%s\n' "${batch_tps[@]}" | median)"
batch_events=$((${batch_median%.*} * 100))

info "bench: resolver (syncload: 4 sources, 10% same-version conflicts, ${SECONDS_PER_RUN}s per run)"
"${PSQL[@]}" "$PG" -c "CREATE DATABASE synchub_bench"
"$BUILD/services/common/pg/synchub-migrate" --db "$PG dbname=synchub_bench" >/dev/null
port="$(free_loopback_port)"
dl_port="$(free_loopback_port)"
"$BUILD/services/resolver/app/synchub-resolver" --db "$PG dbname=synchub_bench" \
  --listen "tcp://127.0.0.1:$port" --dead-letters "tcp://127.0.0.1:$dl_port" \
  --workers 2 --batch-max 1000 --log-level warn --insecure >"$OUT/resolver.log" 2>&1 &
resolver_pid=$!
sleep 1
load=("$BUILD/services/syncload/syncload" --endpoint "tcp://127.0.0.1:$port" --sources 4
  --records 10000 --conflict-share 0.1 --batch 500 --inflight 2 --json)
resolver_eps=()
for run in $(seq "$RUNS"); do
  "${load[@]}" --duration "$SECONDS_PER_RUN" --key-prefix "RUN$run" >"$OUT/load$run.json" 2>/dev/null
  resolver_eps+=("$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["events_per_second"]))' "$OUT/load$run.json")")
done
resolver_median="$(printf '%s\n' "${resolver_eps[@]}" | median)"
"${load[@]}" --events 20000 --key-prefix VERIFY --verify --db "$PG dbname=synchub_bench" \
  >"$OUT/verify.json" 2>/dev/null || true
verified="$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verification"]; print("passed" if v["ok"] else "FAILED", v["events_replayed"], "events replayed")' "$OUT/verify.json")"
p99="$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["latency_ms"]["p99"],1))' "$OUT/load$RUNS.json")"

# The standard syncload scenarios (one run each): a row per scenario in scenarios.md.
scenario_row() {  # scenario_row NAME JSON
  python3 - "$1" "$2" <<'PY2'
import json, sys
name = sys.argv[1]
try:
    r = json.load(open(sys.argv[2]))
except (OSError, ValueError):
    print(f"| {name} | failed (see {sys.argv[2]}.err) | | | | |")
    sys.exit(0)
lat = r.get("latency_ms", {})
outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()))
print(f"| {name} | {r['events_per_second']:,.0f} | {lat.get('p50', 0):.1f} / {lat.get('p99', 0):.1f} "
      f"| {outcomes} | {r['dead_letters']} | {r['events_rejected']} / {r['events_unavailable']} |")
PY2
}
scenario() {  # scenario NAME PREFIX [syncload args]: against the resolver
  local name="$1" prefix="$2"
  shift 2
  "$BUILD/services/syncload/syncload" --endpoint "tcp://127.0.0.1:$port" --json \
    --duration "$SECONDS_PER_RUN" --key-prefix "$prefix" "$@" >"$OUT/scenario_$prefix.json" \
    2>"$OUT/scenario_$prefix.json.err" || true
  scenario_row "$name" "$OUT/scenario_$prefix.json" >>"$OUT/scenarios.md"
}
info "bench: syncload standard scenarios (${SECONDS_PER_RUN}s each)"
: >"$OUT/scenarios.md"
scenario "balanced: 4 sources, 10,000 records, 10% same-version conflicts" BAL \
  --sources 4 --records 10000 --conflict-share 0.1 --batch 500 --inflight 2
scenario "hot keys: half of all events on 20 records" HOT \
  --sources 4 --records 10000 --hot-share 0.5 --hot-records 20 --conflict-share 0.1 --batch 500 --inflight 2
scenario "deletes: 10% deletes, 10% conflicts" DEL \
  --sources 4 --records 10000 --delete-share 0.1 --conflict-share 0.1 --batch 500 --inflight 2
scenario "steady 5,000 events/s in 50-event requests (latency at a fixed rate)" RATE \
  --sources 4 --records 10000 --conflict-share 0.1 --batch 50 --inflight 2 --rate 5000
scenario "one source, one request in flight, 1 event per request (round trip)" RTT \
  --sources 1 --records 10000 --conflict-share 0 --batch 1 --inflight 1

info "bench: ingest gateway (wrk, 64 connections) and its ZeroMQ batch path"
http_port="$(free_loopback_port)"
zmq_port="$(free_loopback_port)"
"$BUILD/services/ingest/synchub-ingest" --db "$PG dbname=synchub_bench" --port "$http_port" \
  --resolver "tcp://127.0.0.1:$port" --zmq-listen "tcp://127.0.0.1:$zmq_port" --threads 64 \
  --log-level warn --insecure >"$OUT/ingest.log" 2>&1 &
ingest_pid=$!
sleep 1
http_rps=()
for run in $(seq "$RUNS"); do
  wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" -s "$ROOT/tools/bench/wrk_sync.lua" \
    "http://127.0.0.1:$http_port" >"$OUT/wrk$run.txt" 2>&1
  http_rps+=("$(awk '/^Requests\/sec/ {print int($2)}' "$OUT/wrk$run.txt")")
done
http_median="$(printf '%s\n' "${http_rps[@]}" | median)"
http_errors="$({ grep -h 'Non-2xx' "$OUT"/wrk*.txt || true; } | awk '{s+=$NF} END {print s+0}')"
http_p99="$(wrk -t2 -c64 -d5s --latency -s "$ROOT/tools/bench/wrk_sync.lua" \
  "http://127.0.0.1:$http_port" 2>/dev/null | awk '/ 99%/ {print $2}')"
"$BUILD/services/syncload/syncload" --endpoint "tcp://127.0.0.1:$zmq_port" --sources 4 \
  --records 10000 --conflict-share 0.1 --batch 500 --inflight 2 --json \
  --duration "$SECONDS_PER_RUN" --key-prefix VIAINGEST >"$OUT/via_ingest.json" \
  2>"$OUT/via_ingest.json.err" || true
via_ingest="$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["events_per_second"]))' "$OUT/via_ingest.json")"
scenario_row "through the gateway, ZeroMQ: the balanced scenario" "$OUT/via_ingest.json" >>"$OUT/scenarios.md"
"$BUILD/services/syncload/syncload" --http "http://127.0.0.1:$http_port" --sources 4 \
  --records 10000 --conflict-share 0.1 --inflight 16 --json --duration "$SECONDS_PER_RUN" \
  --key-prefix VIAHTTP >"$OUT/via_http.json" 2>"$OUT/via_http.json.err" || true
scenario_row "through the gateway, HTTP (--http, 64 connections as wrk, one event per request)" "$OUT/via_http.json" >>"$OUT/scenarios.md"

info "bench: insert-to-everywhere latency through the whole stack (./dev up's stack)"
chmod 755 "$OUT"
export SYNCHUB_STATE_DIR="$OUT/stack"
kill "$ingest_pid" "$resolver_pid" 2>/dev/null || true
SYNCHUB_PORT_BASE="$(free_stack_port_base)"
export SYNCHUB_PORT_BASE
BUILD_DIR="$BUILD"
source "$ROOT/tools/dev/stack.sh"
trap 'stack_down >/dev/null 2>&1; throwaway_pg_stop; pkill -P $$ || true' EXIT
stack_up >"$OUT/stack_up.log"
# Issue 14: snapshot and reconcile figures (tools/bench/attach_bench.sh), on the same stack,
# before the latency probes.
source "$ROOT/tools/bench/attach_bench.sh"
attach_bench >"$OUT/attach.md"
probe=("$BUILD/services/connector/synchub-latency-probe" --source-db "$PG_CONN dbname=localdb"
  --target-db "$PG_CONN dbname=crm" --target-db "$PG_CONN dbname=erp"
  --target-db "$PG_CONN dbname=portal" --samples 200)
"${probe[@]}" --prefix IDLE >"$OUT/latency_idle.json"
"${probe[@]}" --prefix BUSY --load-db "$PG_CONN dbname=erp" --load-db "$PG_CONN dbname=portal" \
  --load-rate 1000 >"$OUT/latency_busy.json"

stack_down >/dev/null
lat() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("p50 %.1f ms, p99 %.1f ms (%d samples, %d lost, background %.0f changes/s)"
      % (r["p50_ms"], r["p99_ms"], r["samples"], r["lost"], r["load_rate"]))
PY
}
latency_idle="$(lat "$OUT/latency_idle.json")"
latency_busy="$(lat "$OUT/latency_busy.json")"

info "bench: the cost of authentication (tools/bench/auth_bench.sh)"
bash "$ROOT/tools/bench/auth_bench.sh" "$ROOT" "$BUILD" >"$OUT/auth.md" 2>"$OUT/auth.err" ||
  echo "(the authentication benchmark failed: $(tail -1 "$OUT/auth.err"))" >"$OUT/auth.md"

info "bench: convergence simulation, a long run (10 seeds x 100,000 steps)"
sim_line="$(SYNCHUB_SIM_SEEDS=10 SYNCHUB_SIM_STEPS=100000 \
  "$BUILD/services/connector/synchub_connector_core_test" --gtest_filter='ConvergenceSimulation.*' |
  awk '/\[ measure \]/ {sub(/.*\[ measure \] /, ""); m=$0} /PASSED|FAILED/ {r=$0} END {print m ", " r}')"

cpu="$(lscpu | awk -F: '/Model name/ {gsub(/^ +/,"",$2); print $2; exit}')"
mem="$(free -g | awk '/Mem:/ {print $2}')"
{
  echo "<!-- bench:begin (written by ./dev bench; do not edit by hand) -->"
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), ${mem} GiB, PostgreSQL 15 on the"
  echo "same machine with \`fsync=on\`, \`synchronous_commit=on\`. Medians of $RUNS runs of ${SECONDS_PER_RUN} s."
  echo
  echo "| what | median | runs |"
  echo "|---|---|---|"
  echo "| resolver: events resolved and committed per second (syncload, 4 sources, 10,000 records, 10% same-version conflicts, 500-event requests) | **${resolver_median} events/s** | ${resolver_eps[*]} |"
  echo "| pgbench: one event per transaction (update + outbox insert), 4 clients | ${one_median} events/s | ${one_tps[*]} |"
  echo "| pgbench: 100 events per transaction, 4 clients | ${batch_events} events/s (${batch_median} tps) | ${batch_tps[*]} tps |"
  echo "| ingest: HTTP \`POST /api/sync\` requests/s (wrk -t2 -c64, one new record per request, each a durable resolution) | **${http_median} requests/s** (p99 ${http_p99}, non-2xx: ${http_errors}) | ${http_rps[*]} |"
  echo "| connectors: LocalDB insert visible in CRM, ERP and Portal, idle stack | ${latency_idle} | |"
  echo "| connectors: the same under 1,000 local updates/s in ERP and Portal | ${latency_busy} | |"
  echo "| ingest: ZeroMQ batch path (syncload through the gateway's ZeroMQ entrance, 1 run) | ${via_ingest} events/s | ${via_ingest} |"
  echo
  echo "Resolver / pgbench one-event ratio: $(python3 -c "print(round(${resolver_median}/max(1,${one_median}),2))");"
  echo "resolver / pgbench 100-event batches: $(python3 -c "print(round(${resolver_median}/max(1,${batch_events}),2))")."
  echo "Submit-to-acknowledgement p99 of the last run: ${p99} ms. Verification run: ${verified}."
  echo
  cat "$OUT/attach.md"
  echo
  echo "Authentication's cost (issue 15; tools/bench/auth_bench.sh: a gateway and resolver with"
  echo "\`--insecure\` and a pair as shipped, bearer tokens and CURVE, on one durable database,"
  echo "measured alternately, $RUNS runs of ${SECONDS_PER_RUN} s each; the rate limit off):"
  echo
  cat "$OUT/auth.md"
  echo
  echo "syncload's standard scenarios (one run of ${SECONDS_PER_RUN} s each, in this order, on the same database):"
  echo
  echo "| scenario | events/s | latency p50 / p99 (ms) | outcomes | dead letters | rejected / unanswered |"
  echo "|---|---|---|---|---|---|"
  cat "$OUT/scenarios.md"
  echo
  echo "Convergence simulation (connector/core/convergence_sim_test.cpp, long run): ${sim_line}."
  echo
  echo "Ladder (pure core, one core pinned, median of 5 repetitions):"
  echo
  echo "| benchmark | resolutions/s |"
  echo "|---|---|"
  ladder_line
  echo "<!-- bench:end -->"
} >"$OUT/results.md"
python3 - "$ROOT/docs/benchmarks.md" "$OUT/results.md" <<'PY'
import re, sys
doc_path, results_path = sys.argv[1], sys.argv[2]
doc = open(doc_path).read()
results = open(results_path).read().strip()
pattern = re.compile(r"<!-- bench:begin.*?<!-- bench:end -->", re.S)
doc = pattern.sub(lambda _: results, doc) if pattern.search(doc) else doc.rstrip() + "\n\n" + results + "\n"
open(doc_path, "w").write(doc)
PY
cat "$OUT/results.md"
info "bench: written to docs/benchmarks.md (raw output in $OUT)"
