#!/usr/bin/env bash
# Scale-out, measured (issue 16): syncload's balanced scenario (4 sources, 10,000 records, 10%
# same-version conflicts, 500-event requests, 2 in flight per source) against one, two and three
# synchub-resolver processes (--workers 2 --batch-max 1000 each, --insecure) on one durable
# throwaway PostgreSQL. One syncload is given the first N resolvers' endpoints (--endpoint
# repeats; each of its DEALER sockets spreads its requests over them round-robin, as the
# gateway does with several --resolver). RUNS runs of SECONDS each per count, the counts
# alternating within each round (1, 2, 3, 1, 2, 3, ...) so that the growing log weighs on each
# alike; every run writes new records. Besides events/s: the run's submit-to-acknowledgement
# p99 and the transactions the database rolled back beyond those of idle resolvers
# (pg_stat_database; a batch whose etags moved under it, because another process wrote one of
# its records, is rolled back and re-run).
# Prints a Markdown table; --json FILE writes {"1": {"events_per_s": median, "runs": [...],
# "spread": [lowest, highest], "p99_ms": median, "rollbacks": median}, "2": ..., "3": ...}.
# Usage: scaleout_bench.sh ROOT BUILD_DIR [--json FILE] (standalone; ./dev bench runs it).
set -euo pipefail
ROOT="$1"
BUILD="$2"
shift 2
JSON_OUT=""
if [ "${1:-}" = --json ]; then JSON_OUT="$(realpath -m -- "$2")"; fi
RUNS="${SYNCHUB_BENCH_RUNS:-3}"
SECONDS_PER_RUN="${SYNCHUB_BENCH_SECONDS:-10}"
COUNTS=(1 2 3)
source "$ROOT/tools/dev/lib.sh"
source "$ROOT/tools/dev/throwaway_pg.sh"
OUT="$(mktemp -d /tmp/synchub-scaleout-bench.XXXXXX)"
THROWAWAY_PG_EXTRA="-c fsync=on -c synchronous_commit=on -c shared_buffers=1GB \
  -c max_wal_size=8GB -c checkpoint_timeout=30min -c wal_buffers=64MB"
throwaway_pg_start
trap 'throwaway_pg_stop; pkill -P $$ || true' EXIT
PG="$SYNCHUB_TEST_PG dbname=synchub_scaleout"
PSQL=(/usr/lib/postgresql/15/bin/psql -X -q -tA)
"${PSQL[@]}" "$SYNCHUB_TEST_PG" -c "CREATE DATABASE synchub_scaleout"
"$BUILD/services/common/pg/synchub-migrate" --db "$PG" >/dev/null
rollbacks() { "${PSQL[@]}" "$PG" -c "SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()"; }

endpoints=()
for i in "${COUNTS[@]}"; do
  rport="$(free_loopback_port)"
  dport="$(free_loopback_port)"
  "$BUILD/services/resolver/app/synchub-resolver" --db "$PG" --listen "tcp://127.0.0.1:$rport" \
    --dead-letters "tcp://127.0.0.1:$dport" --workers 2 --batch-max 1000 --log-level warn \
    --insecure >"$OUT/resolver-$i.log" 2>&1 &
  tries=0
  until grep -q '^READY' "$OUT/resolver-$i.log" 2>/dev/null; do
    tries=$((tries + 1)); [ $tries -lt 200 ] || die "scale-out bench: resolver $i did not start ($OUT)"
    sleep 0.1
  done
  endpoints+=("tcp://127.0.0.1:$rport")
done

# Idle resolvers roll back some read-only transactions of their own (polls): the count over a
# run's length with no load is subtracted from each run's.
before="$(rollbacks)"
sleep $((${SECONDS_PER_RUN%.*} + 1))
idle_rollbacks=$(($(rollbacks) - before))

info "scale-out bench: 1, 2 and 3 resolvers, alternating, $RUNS runs of ${SECONDS_PER_RUN}s each"
for run in $(seq "$RUNS"); do
  for n in "${COUNTS[@]}"; do
    args=()
    for endpoint in "${endpoints[@]:0:n}"; do args+=(--endpoint "$endpoint"); done
    before="$(rollbacks)"
    "$BUILD/services/syncload/syncload" "${args[@]}" --sources 4 --records 10000 \
      --conflict-share 0.1 --batch 500 --inflight 2 --json --duration "$SECONDS_PER_RUN" \
      --key-prefix "S${n}R$run" >"$OUT/run-$n-$run.json" 2>"$OUT/run-$n-$run.err" || true
    sleep 1  # backends report their statistics at most once a second
    echo $(($(rollbacks) - before - idle_rollbacks)) >"$OUT/rollbacks-$n-$run.txt"
  done
done

python3 - "$OUT" "$RUNS" "$JSON_OUT" <<'PY'
import json, statistics, sys
out, runs, json_out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
result = {}
for n in ("1", "2", "3"):
    eps, p99, rollbacks, lost = [], [], [], 0
    for run in range(1, runs + 1):
        try:
            r = json.load(open(f"{out}/run-{n}-{run}.json"))
        except (OSError, ValueError):
            continue
        eps.append(round(r["events_per_second"]))
        p99.append(round(r.get("latency_ms", {}).get("p99", 0), 1))
        lost += r["dead_letters"] + r["events_unavailable"] + r["events_unanswered"]
        rollbacks.append(int(open(f"{out}/rollbacks-{n}-{run}.txt").read()))
    if not eps:
        continue
    result[n] = {"events_per_s": statistics.median(eps), "runs": eps, "spread": [min(eps), max(eps)],
                 "p99_ms": statistics.median(p99), "rollbacks": statistics.median(rollbacks),
                 "dead_letters_or_unanswered": lost}
if json_out:
    with open(json_out, "w") as f:
        json.dump(result, f, indent=2)
print("| resolver processes | events/s (median, spread) | runs | p99 (ms, median) "
      "| rolled-back transactions per run, beyond idle (median) | dead letters, unavailable, unanswered |")
print("|---|---|---|---|---|---|")
base = result.get("1", {}).get("events_per_s")
for n, r in result.items():
    share = f", {r['events_per_s'] / base:.2f} of one" if base and n != "1" else ""
    print(f"| {n} | **{r['events_per_s']:,.0f}** ({r['spread'][0]:,} to {r['spread'][1]:,}{share}) "
          f"| {' '.join(f'{v:,}' for v in r['runs'])} | {r['p99_ms']} | {r['rollbacks']:,.0f} "
          f"| {r['dead_letters_or_unanswered']} |")
PY
