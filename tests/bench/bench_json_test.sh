#!/usr/bin/env bash
# ./dev bench --json (issue 16): a tiny bench (tools/bench/bench.sh --quick --no-docs, 1 run of
# 2 s, the log grown to 200,000 events) writes one JSON object in which every figure the issue
# names is a positive number, with each figure's runs and spread, the pgbench baseline and the
# machine; docs/benchmarks.md is left as it was. Prints one ok/FAILED line per check and the
# figures. Takes about 2 minutes.
# Usage: bench_json_test.sh ROOT BUILD_DIR (ctest runs it with the build done).
set -euo pipefail
ROOT="$1"
BUILD="$2"
source "$ROOT/tools/dev/lib.sh"
work="$(mktemp -d /tmp/synchub-bench-json-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT

docs_before="$(sha256sum "$ROOT/docs/benchmarks.md")"
started=$(date +%s)
# The first run (2 s) and the verification run already write some 40,000 to 80,000 events:
# 200,000 leaves the generator something to do.
SYNCHUB_BENCH_RUNS=1 SYNCHUB_BENCH_SECONDS=2 SYNCHUB_BENCH_GROWTH_EVENTS=200000 \
  bash "$ROOT/tools/bench/bench.sh" "$ROOT" "$BUILD" --quick --no-docs --json "$work/bench.json" \
  >"$work/bench.out" 2>&1 || { tail -40 "$work/bench.out"; die "bench.sh failed"; }
echo "bench.sh --quick took $(($(date +%s) - started)) s"

failed=0
python3 - "$work/bench.json" <<'PY' || failed=1
import json, sys
r = json.load(open(sys.argv[1]))
failed = 0
def check(ok, what):
    global failed
    print(("ok      " if ok else "FAILED  ") + what)
    failed |= not ok
def positive(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
for key in ("resolver_events_per_s", "resolver_events_per_s_after_growth", "log_events_at_growth",
            "pgbench_batch100_events_per_s", "http_requests_per_s", "http_p99_ms_at_5000",
            "log_bytes_per_event", "propagation_p99_ms_idle", "wal_bytes_per_event",
            "log_bytes_per_event_generated", "growth_generated_events"):
    check(positive(r.get(key)), f"{key} is a positive number: {r.get(key)!r}")
for key in ("resolver_events_per_s", "resolver_events_per_s_after_growth",
            "pgbench_batch100_events_per_s", "pgbench_one_event_events_per_s", "http_requests_per_s"):
    runs, spread = r.get(key + "_runs"), r.get(key + "_spread")
    check(isinstance(runs, list) and len(runs) == 1 and all(positive(v) for v in runs),
          f"{key}_runs: one positive number per run: {runs!r}")
    check(isinstance(spread, list) and len(spread) == 2 and all(positive(v) for v in spread)
          and spread[0] <= spread[1], f"{key}_spread: [lowest, highest]: {spread!r}")
check(r.get("log_events_at_growth", 0) >= 200000,
      f"the log was grown to SYNCHUB_BENCH_GROWTH_EVENTS: {r.get('log_events_at_growth')!r}")
machine = r.get("machine", {})
check(positive(machine.get("cores")) and positive(machine.get("memory_gib"))
      and all(isinstance(machine.get(k), str) and machine.get(k)
              for k in ("cpu_model", "kernel", "postgresql_version", "date")),
      f"machine: cores, cpu model, memory, kernel, PostgreSQL version, date: {machine!r}")
check(r.get("settings", {}).get("quick") is True and r.get("scaleout") is None,
      "--quick: no scale-out bench (scaleout is null)")
print("figures: " + ", ".join(f"{k} {r.get(k)}" for k in (
    "resolver_events_per_s", "resolver_events_per_s_after_growth", "log_events_at_growth",
    "growth_generated_events", "growth_seconds", "log_bytes_per_event",
    "log_bytes_per_event_generated", "wal_bytes_per_event", "pgbench_batch100_events_per_s",
    "http_requests_per_s", "http_p99_ms_at_5000", "propagation_p99_ms_idle")))
sys.exit(failed)
PY
if [ "$(sha256sum "$ROOT/docs/benchmarks.md")" = "$docs_before" ]; then
  echo "ok      --no-docs left docs/benchmarks.md as it was"
else
  echo "FAILED  --no-docs left docs/benchmarks.md as it was"
  failed=1
fi
[ "$failed" = 0 ] || { tail -40 "$work/bench.out"; die "bench --json test failed"; }
echo "bench --json test: all checks passed"
