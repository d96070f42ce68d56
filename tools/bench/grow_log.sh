#!/usr/bin/env bash
# The bench's growth step (issue 16): fills a hub database's resolution log to TARGET events in
# SQL, fast, with rows shaped as resolving leaves them. It copies the histories the resolver
# wrote in the bench's first runs (the records whose external id matches
# SYNCHUB_GROW_TEMPLATE, default 'RUN%'): every log row of such a record, its canonical record,
# its idempotency keys and its open conflicts, under a new key (G<copy>-<n>) and new
# time-ordered event ids (the format of common/runtime/event_ids.hpp), with INSERT ... SELECT.
# Outcome shares, event and record_after JSON, targets, etag chains, versions and credential
# ids are therefore those of real rows; only the keys, the event ids inside the JSON, seq and
# the writing transaction differ. Columns are read from the catalog, so a column added to these
# tables is copied too.
#
# Rows go in through the parent table resolution_log, seq left to its sequence
# (resolution_log_seq_seq), so the same script fills a plain or a partitioned log. A copy is
# written in steps of at most SYNCHUB_GROW_STEP_EVENTS (500,000) events in the resolver's
# order (as the first runs wrote them), each step by SYNCHUB_GROW_JOBS (default: the number of
# cores) concurrent transactions, the records split between them as the resolver splits them
# between its workers. When MAINTAIN_BIN is given and exists (synchub-maintain: partitions
# ahead of the sequence), it runs before each step and after the last; a step's transaction
# that fails is retried after it (or, without it, after a pause in which a running resolver
# may create the partition). Then VACUUM ANALYZE of the database and a CHECKPOINT.
#
# Prints one JSON object: generated_events, log_events, copies, template_records,
# template_events, generate_seconds, vacuum_seconds, checkpoint_seconds. Nothing is generated
# when the log already holds TARGET events.
# Usage: grow_log.sh CONNINFO TARGET_EVENTS [MAINTAIN_BIN]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CONN="$1"
TARGET="$2"
MAINTAIN="${3:-}"
PATTERN="${SYNCHUB_GROW_TEMPLATE:-RUN%}"
JOBS="${SYNCHUB_GROW_JOBS:-$(nproc)}"
STEP="${SYNCHUB_GROW_STEP_EVENTS:-500000}"
source "$ROOT/tools/dev/lib.sh"
PSQL=(/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1 "$CONN")
sql() { PGOPTIONS='-c client_min_messages=warning' "${PSQL[@]}" -tA "$@"; }
now_s() { date +%s.%N; }

maintain() {
  [ -n "$MAINTAIN" ] && [ -x "$MAINTAIN" ] || return 0
  local output
  output="$("$MAINTAIN" --db "$CONN" 2>&1)" ||
    info "grow: $MAINTAIN failed (continuing): $(tail -1 <<<"$output")"
}

current="$(sql -c "SELECT count(*) FROM resolution_log")"
if [ "$current" -ge "$TARGET" ]; then
  printf '{"generated_events": 0, "log_events": %s, "copies": 0, "template_records": 0, %s}\n' \
    "$current" '"template_events": 0, "generate_seconds": 0, "vacuum_seconds": 0, "checkpoint_seconds": 0'
  exit 0
fi
started="$(now_s)"

# The templates: each table's rows of the template records, with the original event id and
# key (to find them inside the JSON), the event's position in the resolver's order (grow_ord,
# by seq; 1 for canonical records, written with a copy's first step) and the record's number
# (grow_rec). Vacuumed, so that the copies' scans find hint bits set.
sql -v pattern="$PATTERN" <<'SQL'
DROP TABLE IF EXISTS grow_tmpl_log, grow_tmpl_record, grow_tmpl_key, grow_tmpl_conflict;
CREATE UNLOGGED TABLE grow_tmpl_log AS
SELECT r.*, r.event_id AS grow_event_id, r.external_id AS grow_key,
       row_number() OVER (ORDER BY r.seq) AS grow_ord,
       dense_rank() OVER (ORDER BY r.entity, r.external_id) AS grow_rec
  FROM resolution_log r
 WHERE r.external_id LIKE :'pattern'
 ORDER BY r.seq;
CREATE UNLOGGED TABLE grow_tmpl_record AS
SELECT c.*, NULL::text AS grow_event_id, c.external_id AS grow_key, 1::bigint AS grow_ord,
       k.grow_rec
  FROM canonical_record c
  JOIN (SELECT DISTINCT entity, external_id, grow_rec FROM grow_tmpl_log) k
    ON k.entity = c.entity AND k.external_id = c.external_id
 ORDER BY k.grow_rec;
CREATE UNLOGGED TABLE grow_tmpl_key AS
SELECT k.*, t.grow_event_id, t.grow_key, t.grow_ord, t.grow_rec
  FROM idempotency_key k
  JOIN grow_tmpl_log t ON t.source = k.source AND t.event_id = k.event_id
 ORDER BY t.grow_ord;
CREATE UNLOGGED TABLE grow_tmpl_conflict AS
SELECT c.*, t.grow_event_id, t.grow_key, t.grow_ord, t.grow_rec
  FROM conflict_log c
  JOIN grow_tmpl_log t ON t.source = c.source AND t.event_id = c.event_id
 ORDER BY t.grow_ord;
CREATE INDEX ON grow_tmpl_log (grow_ord);
CREATE INDEX ON grow_tmpl_key (grow_ord);
VACUUM ANALYZE grow_tmpl_log, grow_tmpl_record, grow_tmpl_key, grow_tmpl_conflict;
SQL
read -r template_events template_records \
  <<<"$(sql -F ' ' -c "SELECT count(*), coalesce(max(grow_rec), 0) FROM grow_tmpl_log")"
[ "$template_events" -gt 0 ] || die "grow: no resolved rows match '$PATTERN' to copy"

# One column list and one select list per table: the key and event id replaced, JSON columns
# rewritten (the old event id and the old key, quoted, replaced by the new ones), every other
# column copied, except those their defaults fill (seq and ids from sequences, xid).
columns() {  # columns TABLE: prints "column list|select list"
  sql -v table="$1" <<'SQL'
SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) || '|' ||
       string_agg(CASE
         WHEN column_name = 'event_id' THEN 'g.new_id'
         WHEN column_name = 'external_id' THEN 'g.new_key'
         WHEN data_type IN ('json', 'jsonb') THEN
           format('replace(replace(t.%I::text, coalesce(t.grow_event_id, %L), g.new_id), %s, %s)::%s',
                  column_name, '', $$'"' || t.grow_key || '"'$$, $$'"' || g.new_key || '"'$$, data_type)
         ELSE format('t.%I', column_name)
       END, ', ' ORDER BY ordinal_position)
  FROM information_schema.columns
 WHERE table_schema = current_schema() AND table_name = :'table'
   AND is_generated = 'NEVER' AND is_identity = 'NO'
   AND coalesce(column_default, '') NOT LIKE 'nextval(%'
   AND coalesce(column_default, '') NOT LIKE 'pg_current_xact_id()%'
SQL
}
declare -A COLS EXPRS
for table in resolution_log canonical_record idempotency_key conflict_log; do
  spec="$(columns "$table")"
  COLS[$table]="${spec%%|*}"
  EXPRS[$table]="${spec#*|}"
done

# Whole copies, then part of one: the records up to last_rec (the first ones whose events make
# up the rest).
need=$((TARGET - current))
full=$((need / template_events))
rest=$((need % template_events))
last_rec="$template_records"
if [ "$rest" -gt 0 ]; then
  last_rec="$(sql -c "SELECT min(grow_rec)
                        FROM (SELECT grow_rec, sum(count(*)) OVER (ORDER BY grow_rec) AS cum
                                FROM grow_tmpl_log GROUP BY grow_rec) x
                       WHERE cum >= $rest")"
fi
copies=$((full + (rest > 0 ? 1 : 0)))
first_copy="$(sql -c "SELECT coalesce(max(substring(external_id FROM '^G([0-9]+)-')::int), 0) + 1
                        FROM canonical_record")"
# Event ids in the past: about 40 per millisecond up to a minute ago, so that the resolver's
# own ids, written after, still land at the right edge of the indexes.
base_ms=$(($(date +%s%3N) - need / 40 - 60000))

# job SQL_FILE: one transaction; retried up to 5 times (after maintain, or a pause).
job() {
  local attempt
  for attempt in 1 2 3 4 5; do
    sql -f "$1" 2>"$1.err" && return 0
    [ "$attempt" -lt 5 ] || break
    info "grow: a step failed ($(tail -1 "$1.err")); retrying"
    maintain
    sleep 3
  done
  cat "$1.err" >&2
  return 1
}
work="$(mktemp -d /tmp/synchub-grow.XXXXXX)"
trap 'rm -rf "$work"' EXIT

info "grow: $need events in $copies copies of $template_records records ($template_events events), $JOBS sessions"
for i in $(seq 0 $((copies - 1))); do
  copy=$((first_copy + i))
  rec_limit="$template_records"
  [ "$i" -eq $((copies - 1)) ] && rec_limit="$last_rec"
  n0=$((i * template_events))
  for lo in $(seq 0 "$STEP" $((template_events - 1))); do
    hi=$((lo + STEP))
    maintain
    pids=()
    for j in $(seq 0 $((JOBS - 1))); do
      from="FROM grow_tmpl_TABLE t
        CROSS JOIN LATERAL (SELECT $n0 + t.grow_ord AS n) m
        CROSS JOIN LATERAL (SELECT split_part(coalesce(t.grow_event_id, 'cli'), '-', 1) || '-' ||
                                   lpad(to_hex($base_ms + m.n / 40), 12, '0') ||
                                   lpad(to_hex(m.n % 65536), 4, '0') || substr(md5(m.n::text), 1, 16) AS new_id,
                                   'G$copy-' || t.grow_rec AS new_key) g
       WHERE t.grow_ord > $lo AND t.grow_ord <= $hi AND t.grow_rec <= $rec_limit AND t.grow_rec % $JOBS = $j"
      cat >"$work/step-$j.sql" <<SQL
SET synchronize_seqscans = off;
BEGIN;
INSERT INTO resolution_log (${COLS[resolution_log]}) SELECT ${EXPRS[resolution_log]} ${from//TABLE/log};
INSERT INTO idempotency_key (${COLS[idempotency_key]}) SELECT ${EXPRS[idempotency_key]} ${from//TABLE/key};
INSERT INTO canonical_record (${COLS[canonical_record]}) SELECT ${EXPRS[canonical_record]} ${from//TABLE/record};
INSERT INTO conflict_log (${COLS[conflict_log]}) SELECT ${EXPRS[conflict_log]} ${from//TABLE/conflict};
COMMIT;
SQL
      job "$work/step-$j.sql" &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || die "grow: copy $copy (events $lo to $hi) failed"; done
  done
done
maintain
sql -c "DROP TABLE grow_tmpl_log, grow_tmpl_record, grow_tmpl_key, grow_tmpl_conflict"
generated_at="$(now_s)"
sql -c "VACUUM ANALYZE"
vacuumed_at="$(now_s)"
# A checkpoint, so that the growth's minutes of writes (which resolving would have spread over
# hours) are not still being flushed while the resolver is measured next.
sql -c "CHECKPOINT" || info "grow: no CHECKPOINT (needs a superuser or pg_checkpoint)"
checkpointed_at="$(now_s)"
log_events="$(sql -c "SELECT count(*) FROM resolution_log")"
python3 - "$((log_events - current))" "$log_events" "$copies" "$template_records" "$template_events" \
  "$started" "$generated_at" "$vacuumed_at" "$checkpointed_at" <<'PY'
import json, sys
generated, log_events, copies, records, events = (int(v) for v in sys.argv[1:6])
started, generated_at, vacuumed_at, checkpointed_at = (float(v) for v in sys.argv[6:10])
print(json.dumps({"generated_events": generated, "log_events": log_events, "copies": copies,
                  "template_records": records, "template_events": events,
                  "generate_seconds": round(generated_at - started, 1),
                  "vacuum_seconds": round(vacuumed_at - generated_at, 1),
                  "checkpoint_seconds": round(checkpointed_at - vacuumed_at, 1)}))
PY
