#!/usr/bin/env bash
# ./dev bench: measures synchub on this machine, writes the figures into docs/benchmarks.md and,
# with --json FILE, as one JSON object (its keys: docs/benchmarks.md, "Machine-readable
# results"). Sourced helpers: tools/dev/lib.sh, tools/dev/throwaway_pg.sh.
usage() {
  cat <<'USAGE'
usage: bench.sh ROOT BUILD_DIR [--json FILE] [--quick] [--no-docs]   (./dev bench [options])

  --json FILE  also write the run's figures as one JSON object to FILE: medians with each
               one's runs and spread, the same run's pgbench baseline, the machine
  --quick      a small run (tests, a quick look): no attach, authentication or scale-out
               bench, no long convergence simulation, no busy latency probe, none of
               syncload's standard scenarios; a shorter ladder run and 30 idle latency
               samples. Every key of --json is still measured, in small. Implies --no-docs
  --no-docs    leave docs/benchmarks.md as it is (the results are printed)

Environment: SYNCHUB_BENCH_RUNS (3) runs of SYNCHUB_BENCH_SECONDS (10) each for every figure
measured over runs; SYNCHUB_BENCH_GROWTH_EVENTS (5000000): the resolution log is grown to
this many events (tools/bench/grow_log.sh) before the resolver is measured again.
USAGE
}
set -euo pipefail
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
[ $# -ge 2 ] || { usage >&2; exit 2; }
ROOT="$1"
BUILD="$2"
shift 2
source "$ROOT/tools/dev/lib.sh"
JSON_OUT=""
QUICK=0
DOCS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --json)
      [ $# -ge 2 ] || { usage >&2; die "bench: --json needs a FILE"; }
      JSON_OUT="$(realpath -m -- "$2")"
      shift 2
      ;;
    --json=*) JSON_OUT="$(realpath -m -- "${1#--json=}")"; shift ;;
    --quick) QUICK=1; DOCS=0; shift ;;
    --no-docs) DOCS=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "bench: unknown option: $1" ;;
  esac
done
RUNS="${SYNCHUB_BENCH_RUNS:-3}"
SECONDS_PER_RUN="${SYNCHUB_BENCH_SECONDS:-10}"
GROWTH_EVENTS="${SYNCHUB_BENCH_GROWTH_EVENTS:-5000000}"
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

# The figures for --json: one {"key": value} per line, merged at the end.
FIGURES="$OUT/figures.jsonl"
: >"$FIGURES"
fig() { printf '{"%s": %s}\n' "$1" "${2:-null}" >>"$FIGURES"; }  # fig KEY JSON_VALUE
runs_fig() {  # runs_fig KEY MEDIAN VALUE...: KEY, KEY_runs, KEY_spread ([lowest, highest])
  local key="$1" value="$2"
  shift 2
  fig "$key" "$value"
  fig "${key}_runs" "[$(IFS=,; echo "$*")]"
  fig "${key}_spread" "$(printf '%s\n' "$@" | sort -n | awk 'NR==1 {a=$1} {b=$1} END {printf "[%s, %s]", a, b}')"
}
jget() {  # jget FILE EXPRESSION: a Python expression over the file's JSON, `r`; null if unreadable
  python3 - "$1" "$2" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
    v = eval(sys.argv[2])
except (OSError, ValueError, KeyError, TypeError):
    v = None
print("null" if v is None else v)
PY
}
ratio() { python3 -c "import sys; a, b = sys.argv[1:]; print('null' if 'null' in (a, b) or float(b) == 0 else round(float(a) / float(b), 3))" "$1" "$2"; }
hub_sql() { "${PSQL[@]}" -tA "$PG dbname=synchub_bench" -c "$1"; }
# "BYTES ROWS" of the resolution log: heap, TOAST and indexes of every partition when it is
# partitioned (pg_partition_tree), of the table otherwise.
log_stats() {
  hub_sql "SELECT coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('resolution_log')
                             WHERE isleaf), pg_total_relation_size('resolution_log')) || ' ' ||
                  (SELECT count(*) FROM resolution_log)"
}
wal_lsn() { hub_sql "SELECT pg_current_wal_lsn()"; }
wal_per_event() { hub_sql "SELECT round(pg_wal_lsn_diff('$2', '$1') / greatest($3, 1))"; }  # LSN0 LSN1 EVENTS

info "bench: ladder micro-benchmark (one core)"
ladder_args=(--benchmark_repetitions=5)
[ "$QUICK" = 1 ] && ladder_args=(--benchmark_repetitions=3 --benchmark_min_time=0.05)
taskset -c 1 "$BUILD/services/resolver/core/synchub_ladder_bench" "${ladder_args[@]}" \
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
fig ladder_resolutions_per_s "$(jget "$OUT/ladder.json" \
  'json.dumps({b["run_name"]: round(b["items_per_second"]) for b in r["benchmarks"] if b.get("aggregate_name") == "median"})')"

info "bench: pgbench baseline (4 clients, ${SECONDS_PER_RUN}s each)"
"${PSQL[@]}" "$PG" -c "CREATE DATABASE pgbench_db"
"${PSQL[@]}" "$PG dbname=pgbench_db" -f "$ROOT/tools/bench/pgbench_setup.sql"
pgb() {
  "$PGBENCH" -h 127.0.0.1 -p "$PGPORT" -U synchub -n -c 4 -j 2 -T "$SECONDS_PER_RUN" \
    -f "$ROOT/tools/bench/$1" pgbench_db 2>/dev/null | awk '/^tps/ {print int($3)}'
}
one_tps=(); batch_tps=(); batch_eps=()
for _ in $(seq "$RUNS"); do
  one_tps+=("$(pgb pgbench_one_event.sql)")
  batch_tps+=("$(pgb pgbench_batch_100.sql)")
  batch_eps+=("$((${batch_tps[-1]:-0} * 100))")
done
one_median="$(printf '%s\n' "${one_tps[@]}" | median)"
batch_median="$(printf '%s\n' "${batch_tps[@]}" | median)"
batch_events=$((${batch_median%.*} * 100))
runs_fig pgbench_one_event_events_per_s "$one_median" "${one_tps[@]}"
runs_fig pgbench_batch100_events_per_s "$batch_events" "${batch_eps[@]}"

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
balanced_runs() {  # balanced_runs PREFIX: RUNS runs; sets EPS (events/s per run), EVENTS (in all)
  local run
  EPS=()
  EVENTS=0
  for run in $(seq "$RUNS"); do
    "${load[@]}" --duration "$SECONDS_PER_RUN" --key-prefix "$1$run" >"$OUT/load-$1$run.json" 2>/dev/null
    EPS+=("$(jget "$OUT/load-$1$run.json" 'int(r["events_per_second"])')")
    EVENTS=$((EVENTS + $(jget "$OUT/load-$1$run.json" 'r["events_acknowledged"]')))
  done
}
wal0="$(wal_lsn)"
balanced_runs RUN
wal1="$(wal_lsn)"
resolver_eps=("${EPS[@]}")
resolver_median="$(printf '%s\n' "${resolver_eps[@]}" | median)"
runs_fig resolver_events_per_s "$resolver_median" "${resolver_eps[@]}"
fig resolver_to_pgbench_batch100 "$(ratio "$resolver_median" "$batch_events")"
wal_bytes="$(wal_per_event "$wal0" "$wal1" "$EVENTS")"
fig wal_bytes_per_event "$wal_bytes"
read -r log_bytes0 log_rows0 <<<"$(log_stats)"
log_bpe="$((log_bytes0 / (log_rows0 > 0 ? log_rows0 : 1)))"
fig log_bytes_per_event "$log_bpe"
fig log_events_before_growth "$log_rows0"
p99="$(jget "$OUT/load-RUN$RUNS.json" 'round(r["latency_ms"]["p99"], 1)')"
fig resolver_p99_ms "$p99"
"${load[@]}" --events 20000 --key-prefix VERIFY --verify --db "$PG dbname=synchub_bench" \
  >"$OUT/verify.json" 2>/dev/null || true
verified="$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verification"]; print("passed" if v["ok"] else "FAILED", v["events_replayed"], "events replayed")' "$OUT/verify.json")"
fig verification_ok "$(jget "$OUT/verify.json" 'str(r["verification"]["ok"]).lower()')"

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
: >"$OUT/scenarios.md"
if [ "$QUICK" = 0 ]; then
  info "bench: syncload standard scenarios (${SECONDS_PER_RUN}s each)"
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
fi

info "bench: ingest gateway (wrk, 64 connections; syncload --http at 5,000 requests/s) and its ZeroMQ batch path"
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
runs_fig http_requests_per_s "$http_median" "${http_rps[@]}"
fig http_non_2xx "$http_errors"
wrk_latency_seconds=5
[ "$QUICK" = 1 ] && wrk_latency_seconds="$SECONDS_PER_RUN"
http_p99="$(wrk -t2 -c64 -d"${wrk_latency_seconds}s" --latency -s "$ROOT/tools/bench/wrk_sync.lua" \
  "http://127.0.0.1:$http_port" 2>/dev/null | awk '/ 99%/ {print $2}')"
fig http_wrk_p99_ms "$(python3 -c "import re, sys; m = re.fullmatch(r'([0-9.]+)(us|ms|s)', sys.argv[1]);
print(round(float(m[1]) * {'us': 0.001, 'ms': 1, 's': 1000}[m[2]], 2) if m else 'null')" "$http_p99")"
# A steady 5,000 requests/s over HTTP, one event per request, 64 connections as wrk: the latency
# of a gateway that is not saturated (issue 16: p99 under 100 ms).
"$BUILD/services/syncload/syncload" --http "http://127.0.0.1:$http_port" --sources 4 \
  --records 10000 --conflict-share 0.1 --inflight 16 --rate 5000 --json \
  --duration "$SECONDS_PER_RUN" --key-prefix HTTP5K >"$OUT/http_5000.json" \
  2>"$OUT/http_5000.json.err" || true
fig http_p99_ms_at_5000 "$(jget "$OUT/http_5000.json" 'round(r["latency_ms"]["p99"], 2)')"
fig http_p50_ms_at_5000 "$(jget "$OUT/http_5000.json" 'round(r["latency_ms"]["p50"], 2)')"
fig http_requests_per_s_at_5000 "$(jget "$OUT/http_5000.json" 'round(r["events_per_second"])')"
fig http_failed_at_5000 "$(jget "$OUT/http_5000.json" \
  'r["events_rejected"] + r["events_unavailable"] + r["events_unanswered"]')"
http_5000="$(jget "$OUT/http_5000.json" \
  '"p99 %.1f ms, p50 %.1f ms, %d requests/s reached, %d failed" % (r["latency_ms"]["p99"],
   r["latency_ms"]["p50"], r["events_per_second"], r["events_rejected"] + r["events_unavailable"]
   + r["events_unanswered"])')"
"$BUILD/services/syncload/syncload" --endpoint "tcp://127.0.0.1:$zmq_port" --sources 4 \
  --records 10000 --conflict-share 0.1 --batch 500 --inflight 2 --json \
  --duration "$SECONDS_PER_RUN" --key-prefix VIAINGEST >"$OUT/via_ingest.json" \
  2>"$OUT/via_ingest.json.err" || true
via_ingest="$(jget "$OUT/via_ingest.json" 'int(r["events_per_second"])')"
fig zmq_gateway_events_per_s "$via_ingest"
scenario_row "through the gateway, ZeroMQ: the balanced scenario" "$OUT/via_ingest.json" >>"$OUT/scenarios.md"
if [ "$QUICK" = 0 ]; then
  "$BUILD/services/syncload/syncload" --http "http://127.0.0.1:$http_port" --sources 4 \
    --records 10000 --conflict-share 0.1 --inflight 16 --json --duration "$SECONDS_PER_RUN" \
    --key-prefix VIAHTTP >"$OUT/via_http.json" 2>"$OUT/via_http.json.err" || true
  scenario_row "through the gateway, HTTP (--http, 64 connections as wrk, one event per request)" "$OUT/via_http.json" >>"$OUT/scenarios.md"
fi
kill "$ingest_pid" 2>/dev/null || true

# Issue 16: throughput as history grows. The log is filled to GROWTH_EVENTS events by copying
# the histories of the first runs (tools/bench/grow_log.sh: SQL, not resolving), vacuumed and
# analyzed, and the resolver measured again with the same scenario.
info "bench: the resolver on a grown log (${GROWTH_EVENTS} events; tools/bench/grow_log.sh)"
read -r grow_bytes0 grow_rows0 <<<"$(log_stats)"
bash "$ROOT/tools/bench/grow_log.sh" "$PG dbname=synchub_bench" "$GROWTH_EVENTS" \
  "$BUILD/services/resolver/cli/synchub-maintain" >"$OUT/grow.json"
read -r grow_bytes1 grow_rows1 <<<"$(log_stats)"
fig log_events_at_growth "$grow_rows1"
fig growth_generated_events "$(jget "$OUT/grow.json" 'r["generated_events"]')"
fig growth_seconds "$(jget "$OUT/grow.json" 'r["generate_seconds"]')"
fig growth_vacuum_seconds "$(jget "$OUT/grow.json" 'r["vacuum_seconds"]')"
fig growth_checkpoint_seconds "$(jget "$OUT/grow.json" 'r["checkpoint_seconds"]')"
generated_bpe=null
[ "$grow_rows1" -gt "$grow_rows0" ] && generated_bpe=$(((grow_bytes1 - grow_bytes0) / (grow_rows1 - grow_rows0)))
fig log_bytes_per_event_generated "$generated_bpe"
wal2="$(wal_lsn)"
balanced_runs AFTER
wal3="$(wal_lsn)"
after_eps=("${EPS[@]}")
after_median="$(printf '%s\n' "${after_eps[@]}" | median)"
runs_fig resolver_events_per_s_after_growth "$after_median" "${after_eps[@]}"
after_ratio="$(ratio "$after_median" "$resolver_median")"
fig resolver_after_growth_to_empty "$after_ratio"
wal_bytes_after="$(wal_per_event "$wal2" "$wal3" "$EVENTS")"
fig wal_bytes_per_event_after_growth "$wal_bytes_after"
read -r log_bytes_end log_rows_end <<<"$(log_stats)"
fig log_bytes_per_event_after_growth "$((log_bytes_end / (log_rows_end > 0 ? log_rows_end : 1)))"
pg_version="$("${PSQL[@]}" -tA "$PG" -c "SHOW server_version")"
kill "$resolver_pid" 2>/dev/null || true

info "bench: insert-to-everywhere latency through the whole stack (./dev up's stack)"
chmod 755 "$OUT"
export SYNCHUB_STATE_DIR="$OUT/stack"
SYNCHUB_PORT_BASE="$(free_stack_port_base)"
export SYNCHUB_PORT_BASE
BUILD_DIR="$BUILD"
source "$ROOT/tools/dev/stack.sh"
trap 'stack_down >/dev/null 2>&1; throwaway_pg_stop; pkill -P $$ || true' EXIT
stack_up >"$OUT/stack_up.log"
# Issue 14: snapshot and reconcile figures (tools/bench/attach_bench.sh), on the same stack,
# before the latency probes.
source "$ROOT/tools/bench/attach_bench.sh"
[ "$QUICK" = 0 ] && attach_bench >"$OUT/attach.md"
samples=200
[ "$QUICK" = 1 ] && samples=30
probe=("$BUILD/services/connector/synchub-latency-probe" --source-db "$PG_CONN dbname=localdb"
  --target-db "$PG_CONN dbname=crm" --target-db "$PG_CONN dbname=erp"
  --target-db "$PG_CONN dbname=portal" --samples "$samples")
"${probe[@]}" --prefix IDLE >"$OUT/latency_idle.json"
# At most 5 minutes: a sample that never arrives costs the probe 10 s, and the inbound apply
# can deadlock with the probe's background upserts (docs/benchmarks.md, "Reading the gateway
# and connector figures"); a probe cut short leaves the busy figure "not measured".
[ "$QUICK" = 0 ] && { timeout 300 "${probe[@]}" --prefix BUSY --load-db "$PG_CONN dbname=erp" \
  --load-db "$PG_CONN dbname=portal" --load-rate 1000 >"$OUT/latency_busy.json" || true; }

stack_down >/dev/null
lat() {
  python3 - "$1" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print("not measured")
    sys.exit(0)
print("p50 %.1f ms, p99 %.1f ms (%d samples, %d lost, background %.0f changes/s)"
      % (r["p50_ms"], r["p99_ms"], r["samples"], r["lost"], r["load_rate"]))
PY
}
latency_idle="$(lat "$OUT/latency_idle.json")"
latency_busy="$(lat "$OUT/latency_busy.json")"
fig propagation_p50_ms_idle "$(jget "$OUT/latency_idle.json" 'round(r["p50_ms"], 2)')"
fig propagation_p99_ms_idle "$(jget "$OUT/latency_idle.json" 'round(r["p99_ms"], 2)')"
fig propagation_samples_idle "$(jget "$OUT/latency_idle.json" 'r["samples"]')"
fig propagation_lost_idle "$(jget "$OUT/latency_idle.json" 'r["lost"]')"
fig propagation_p99_ms_busy "$(jget "$OUT/latency_busy.json" 'round(r["p99_ms"], 2)')"

if [ "$QUICK" = 0 ]; then
  info "bench: the cost of authentication (tools/bench/auth_bench.sh)"
  bash "$ROOT/tools/bench/auth_bench.sh" "$ROOT" "$BUILD" >"$OUT/auth.md" 2>"$OUT/auth.err" ||
    echo "(the authentication benchmark failed: $(tail -1 "$OUT/auth.err"))" >"$OUT/auth.md"

  info "bench: scale-out, one to three resolvers on one database (tools/bench/scaleout_bench.sh)"
  bash "$ROOT/tools/bench/scaleout_bench.sh" "$ROOT" "$BUILD" --json "$OUT/scaleout.json" \
    >"$OUT/scaleout.md" 2>"$OUT/scaleout.err" ||
    echo "(the scale-out benchmark failed: $(tail -1 "$OUT/scaleout.err"))" >"$OUT/scaleout.md"

  info "bench: convergence simulation, a long run (10 seeds x 100,000 steps)"
  sim_line="$(SYNCHUB_SIM_SEEDS=10 SYNCHUB_SIM_STEPS=100000 \
    "$BUILD/services/connector/synchub_connector_core_test" --gtest_filter='ConvergenceSimulation.*' |
    awk '/\[ measure \]/ {sub(/.*\[ measure \] /, ""); m=$0} /PASSED|FAILED/ {r=$0} END {print m ", " r}')"
fi
fig scaleout "$(jget "$OUT/scaleout.json" 'json.dumps({k: v["events_per_s"] for k, v in r.items()})')"
fig scaleout_runs "$(jget "$OUT/scaleout.json" 'json.dumps({k: v["runs"] for k, v in r.items()})')"
fig scaleout_spread "$(jget "$OUT/scaleout.json" 'json.dumps({k: v["spread"] for k, v in r.items()})')"

cpu="$(lscpu | awk -F: '/Model name/ {gsub(/^ +/,"",$2); print $2; exit}')"
mem="$(free -g | awk '/Mem:/ {print $2}')"

if [ -n "$JSON_OUT" ]; then
  python3 - "$FIGURES" "$JSON_OUT" "$cpu" "$pg_version" "$RUNS" "$SECONDS_PER_RUN" \
    "$GROWTH_EVENTS" "$QUICK" "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" <<'PY'
import datetime, json, os, platform, sys
figures_path, out, cpu, pg_version, runs, seconds, growth, quick, commit = sys.argv[1:]
result = {}
for line in open(figures_path):
    result.update(json.loads(line))
with open("/proc/meminfo") as meminfo:
    kib = next(int(l.split()[1]) for l in meminfo if l.startswith("MemTotal:"))
result["machine"] = {
    "cores": os.cpu_count(),
    "cpu_model": cpu,
    "memory_gib": round(kib / 1024 / 1024, 1),
    "kernel": platform.release(),
    "postgresql_version": pg_version,
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
}
result["settings"] = {"runs": int(runs), "seconds_per_run": float(seconds),
                      "growth_events": int(growth), "quick": quick == "1", "commit": commit}
with open(out, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
PY
  info "bench: figures written to $JSON_OUT"
fi

{
  echo "<!-- bench:begin (written by ./dev bench; do not edit by hand) -->"
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), ${mem} GiB, PostgreSQL $pg_version on the"
  echo "same machine with \`fsync=on\`, \`synchronous_commit=on\`. Medians of $RUNS runs of ${SECONDS_PER_RUN} s."
  echo
  echo "| what | median | runs |"
  echo "|---|---|---|"
  echo "| resolver: events resolved and committed per second (syncload, 4 sources, 10,000 records, 10% same-version conflicts, 500-event requests) | **${resolver_median} events/s** | ${resolver_eps[*]} |"
  echo "| resolver: the same after the log was grown to ${grow_rows1} events (tools/bench/grow_log.sh, then VACUUM ANALYZE and CHECKPOINT) | **${after_median} events/s** (${after_ratio} of the empty log's) | ${after_eps[*]} |"
  echo "| pgbench: one event per transaction (update + outbox insert), 4 clients | ${one_median} events/s | ${one_tps[*]} |"
  echo "| pgbench: 100 events per transaction, 4 clients | ${batch_events} events/s (${batch_median} tps) | ${batch_tps[*]} tps |"
  echo "| ingest: HTTP \`POST /api/sync\` requests/s (wrk -t2 -c64, one new record per request, each a durable resolution) | **${http_median} requests/s** (p99 ${http_p99}, non-2xx: ${http_errors}) | ${http_rps[*]} |"
  echo "| ingest: HTTP at a steady 5,000 requests/s (\`syncload --http --rate 5000\`, 64 connections, one event per request) | ${http_5000} | |"
  echo "| connectors: LocalDB insert visible in CRM, ERP and Portal, idle stack | ${latency_idle} | |"
  echo "| connectors: the same under 1,000 local updates/s in ERP and Portal | ${latency_busy} | |"
  echo "| ingest: ZeroMQ batch path (syncload through the gateway's ZeroMQ entrance, 1 run) | ${via_ingest} events/s | ${via_ingest} |"
  echo
  echo "Resolver / pgbench one-event ratio: $(python3 -c "print(round(${resolver_median}/max(1,${one_median}),2))");"
  echo "resolver / pgbench 100-event batches: $(python3 -c "print(round(${resolver_median}/max(1,${batch_events}),2))")."
  echo "Submit-to-acknowledgement p99 of the last run: ${p99} ms. Verification run: ${verified}."
  echo "Stored per event (the resolution log with its indexes and TOAST, every partition): ${log_bpe} bytes"
  echo "after the first runs (${log_rows0} events), ${generated_bpe} bytes for the generated rows"
  echo "(growth: $(jget "$OUT/grow.json" '"%d events in %.0f s, VACUUM ANALYZE %.0f s, CHECKPOINT %.0f s" % (r["generated_events"], r["generate_seconds"], r["vacuum_seconds"], r["checkpoint_seconds"])')). WAL per event of the balanced"
  echo "scenario: ${wal_bytes} bytes on the empty log, ${wal_bytes_after} bytes on the grown one."
  echo
  if [ -f "$OUT/attach.md" ]; then
    cat "$OUT/attach.md"
    echo
  fi
  if [ -f "$OUT/auth.md" ]; then
    echo "Authentication's cost (issue 15; tools/bench/auth_bench.sh: a gateway and resolver with"
    echo "\`--insecure\` and a pair as shipped, bearer tokens and CURVE, on one durable database,"
    echo "measured alternately, $RUNS runs of ${SECONDS_PER_RUN} s each; the rate limit off):"
    echo
    cat "$OUT/auth.md"
    echo
  fi
  echo "syncload's standard scenarios (one run of ${SECONDS_PER_RUN} s each, in this order, on the same database):"
  echo
  echo "| scenario | events/s | latency p50 / p99 (ms) | outcomes | dead letters | rejected / unanswered |"
  echo "|---|---|---|---|---|---|"
  cat "$OUT/scenarios.md"
  echo
  echo "Convergence simulation (connector/core/convergence_sim_test.cpp, long run): ${sim_line:-not run}."
  echo
  echo "Ladder (pure core, one core pinned, median of ${ladder_args[0]#*=} repetitions):"
  echo
  echo "| benchmark | resolutions/s |"
  echo "|---|---|"
  ladder_line
  echo "<!-- bench:end -->"
} >"$OUT/results.md"
{
  echo "<!-- scaleout:begin (written by ./dev bench; do not edit by hand) -->"
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), PostgreSQL $pg_version, durable; $RUNS runs of ${SECONDS_PER_RUN} s per count:"
  echo
  cat "$OUT/scaleout.md" 2>/dev/null || true
  echo "<!-- scaleout:end -->"
} >"$OUT/scaleout_block.md"
if [ "$DOCS" = 1 ]; then
  python3 - "$ROOT/docs/benchmarks.md" "$OUT/results.md" "$OUT/scaleout_block.md" <<'PY'
import re, sys
doc_path, results_path, scaleout_path = sys.argv[1:]
doc = open(doc_path).read()
for path, name in ((results_path, "bench"), (scaleout_path, "scaleout")):
    block = open(path).read().strip()
    pattern = re.compile(rf"<!-- {name}:begin.*?<!-- {name}:end -->", re.S)
    doc = pattern.sub(lambda _: block, doc) if pattern.search(doc) else doc.rstrip() + "\n\n" + block + "\n"
open(doc_path, "w").write(doc)
PY
fi
cat "$OUT/results.md"
[ "$QUICK" = 0 ] && cat "$OUT/scaleout_block.md"
if [ "$DOCS" = 1 ]; then
  info "bench: written to docs/benchmarks.md (raw output in $OUT)"
else
  info "bench: docs/benchmarks.md left as it is (raw output in $OUT)"
fi
