#!/usr/bin/env bash
# The cost of authentication (issue 15): the gateway's HTTP path (wrk, 64 connections, every
# request a durable resolution) and its ZeroMQ path (syncload, the balanced scenario through
# the entrance) with --insecure and then as shipped (bearer tokens, CURVE with ZAP on the
# entrance and the resolver), on one durable throwaway PostgreSQL, RUNS runs of SECONDS each.
# Prints a Markdown table. Usage: auth_bench.sh ROOT BUILD_DIR (standalone; ./dev bench runs it).
set -euo pipefail
ROOT="$1"
BUILD="$2"
RUNS="${SYNCHUB_BENCH_RUNS:-3}"
SECONDS_PER_RUN="${SYNCHUB_BENCH_SECONDS:-10}"
source "$ROOT/tools/dev/lib.sh"
source "$ROOT/tools/dev/throwaway_pg.sh"
OUT="$(mktemp -d /tmp/synchub-auth-bench.XXXXXX)"
THROWAWAY_PG_EXTRA="-c fsync=on -c synchronous_commit=on -c shared_buffers=1GB \
  -c max_wal_size=8GB -c checkpoint_timeout=30min -c wal_buffers=64MB"
throwaway_pg_start
trap 'throwaway_pg_stop; pkill -P $$ || true' EXIT
PG="$SYNCHUB_TEST_PG dbname=synchub_auth_bench"
/usr/lib/postgresql/15/bin/psql -X -q "$SYNCHUB_TEST_PG" -c "CREATE DATABASE synchub_auth_bench"
"$BUILD/services/common/pg/synchub-migrate" --db "$PG" >/dev/null
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
spread() { sort -n | awk '{a[NR]=$1} END {printf "%s to %s", a[1], a[NR]}'; }

keys="$OUT/keys"
mkdir -p "$keys"
for name in resolver ingest gateway crm erp portal localdb; do
  "$BUILD/services/common/zmq/synchub-keygen" --out "$keys/$name" >/dev/null
done
make() { "$BUILD/services/common/pg/synchub-migrate" --db "$PG" --create-credential "$@" 2>/dev/null; }
make service --name gateway --no-token --curve-public-key "$(cat "$keys/gateway.pub")" >/dev/null
crm_token=""
for source in CRM ERP Portal LocalDB; do
  token="$(make "source:$source" --curve-public-key "$(cat "$keys/$(tr '[:upper:]' '[:lower:]' <<<"$source").pub")")"
  [ "$source" = CRM ] && crm_token="$token"
done

# start_mode insecure|secure: a resolver and a gateway in that mode; sets HPORT_<mode>, ZPORT_<mode>.
start_mode() {
  local mode="$1" rport dport hport zport resolver_flags ingest_flags tries=0
  rport="$(free_loopback_port)"; dport="$(free_loopback_port)"
  hport="$(free_loopback_port)"; zport="$(free_loopback_port)"
  if [ "$mode" = secure ]; then
    resolver_flags=(--curve-secret-key "$keys/resolver.key")
    # --rate-limit 0: one credential drives the whole load here; the shipped limit (2000/s per
    # credential) is a policy, not a cost, and would cap this figure at 2000.
    ingest_flags=(--curve-secret-key "$keys/ingest.key" --curve-client-key "$keys/gateway.key"
      --resolver-server-key "$keys/resolver.pub" --rate-limit 0)
  else
    resolver_flags=(--insecure)
    ingest_flags=(--insecure)
  fi
  "$BUILD/services/resolver/app/synchub-resolver" --db "$PG" --listen "tcp://127.0.0.1:$rport" \
    --dead-letters "tcp://127.0.0.1:$dport" --workers 2 --batch-max 1000 --log-level warn \
    "${resolver_flags[@]}" >"$OUT/resolver-$mode.log" 2>&1 &
  "$BUILD/services/ingest/synchub-ingest" --db "$PG" --port "$hport" \
    --resolver "tcp://127.0.0.1:$rport" --zmq-listen "tcp://127.0.0.1:$zport" --threads 64 \
    --log-level warn "${ingest_flags[@]}" >"$OUT/ingest-$mode.log" 2>&1 &
  until grep -q '^READY' "$OUT/ingest-$mode.log" 2>/dev/null; do
    tries=$((tries + 1)); [ $tries -lt 200 ] || die "auth bench: the gateway did not start ($OUT)"
    sleep 0.1
  done
  printf -v "HPORT_$mode" '%s' "$hport"
  printf -v "ZPORT_$mode" '%s' "$zport"
}

measure() {  # measure MODE RUN: appends to HTTP_<mode> and ZMQ_<mode>
  local mode="$1" run="$2" token="" curve=() hport zport
  hport="HPORT_$mode"; zport="ZPORT_$mode"
  [ "$mode" = secure ] && token="$crm_token" && curve=(--curve-keys "$keys")
  SYNCHUB_TOKEN="$token" wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" -s "$ROOT/tools/bench/wrk_sync.lua" \
    "http://127.0.0.1:${!hport}" >"$OUT/wrk-$mode-$run.txt" 2>&1
  ! grep -q 'Non-2xx' "$OUT/wrk-$mode-$run.txt" || die "auth bench: wrk got errors ($OUT/wrk-$mode-$run.txt)"
  eval "HTTP_$mode+=(\"$(awk '/^Requests\/sec/ {print int($2)}' "$OUT/wrk-$mode-$run.txt")\")"
  "$BUILD/services/syncload/syncload" --endpoint "tcp://127.0.0.1:${!zport}" "${curve[@]}" \
    --sources 4 --records 10000 --conflict-share 0.1 --batch 500 --inflight 2 --json \
    --duration "$SECONDS_PER_RUN" --key-prefix "A$mode$run" >"$OUT/zmq-$mode-$run.json" \
    2>"$OUT/zmq-$mode-$run.err" || true
  eval "ZMQ_$mode+=(\"$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["events_per_second"]))' "$OUT/zmq-$mode-$run.json")\")"
}

info "auth bench: --insecure and as shipped (tokens, CURVE), alternating, $RUNS runs of ${SECONDS_PER_RUN}s each"
HTTP_insecure=(); ZMQ_insecure=(); HTTP_secure=(); ZMQ_secure=()
start_mode insecure
start_mode secure
for run in $(seq "$RUNS"); do
  measure insecure "$run"
  measure secure "$run"
done
hi="$(printf '%s\n' "${HTTP_insecure[@]}" | median)"; hi_s="$(printf '%s\n' "${HTTP_insecure[@]}" | spread)"
zi="$(printf '%s\n' "${ZMQ_insecure[@]}" | median)"; zi_s="$(printf '%s\n' "${ZMQ_insecure[@]}" | spread)"
hs="$(printf '%s\n' "${HTTP_secure[@]}" | median)"; hs_s="$(printf '%s\n' "${HTTP_secure[@]}" | spread)"
zs="$(printf '%s\n' "${ZMQ_secure[@]}" | median)"; zs_s="$(printf '%s\n' "${ZMQ_secure[@]}" | spread)"
cost() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%+.1f %%' % ((b-a)/a*100 if a else 0))" "$1" "$2"; }
cat <<MD
| path | --insecure (median, spread) | as shipped: tokens, CURVE (median, spread) | change |
|---|---|---|---|
| HTTP \`POST /api/sync\`, wrk 64 connections (requests/s) | **$hi** ($hi_s) | **$hs** ($hs_s) | $(cost "$hi" "$hs") |
| ZeroMQ entrance, syncload balanced scenario (events/s) | **$zi** ($zi_s) | **$zs** ($zs_s) | $(cost "$zi" "$zs") |
MD
