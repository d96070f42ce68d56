# Shared by the shell e2e tests that run a `./dev up` stack of their own (db_faults_test.sh,
# attach_source_test.sh); sourced after tools/dev/stack.sh (PG_BIN, PG_CONN, HUB_DB).
#   check WHAT COMMAND...     prints "ok" or "FAILED" for WHAT and counts failures
#   wait_for SECONDS COMMAND  true as soon as COMMAND succeeds (polled every 0.2 s), false after
#   hub_sql, local_sql DB, admin_sql SQL   psql -tA on the hub's, a source's, the postgres database
failures=0
check() {
  if "${@:2}"; then echo "ok      $1"; else echo "FAILED  $1"; failures=$((failures + 1)); fi
}
wait_for() {
  local until=$((SECONDS + $1))
  shift
  while [ $SECONDS -lt $until ]; do "$@" && return 0; sleep 0.2; done
  return 1
}
hub_sql() { "$PG_BIN/psql" -X -q -tA "$PG_CONN dbname=$HUB_DB" -c "$1"; }
local_sql() { "$PG_BIN/psql" -X -q -tA "$PG_CONN dbname=$1" -c "$2"; }
admin_sql() { "$PG_BIN/psql" -X -q -tA "$PG_CONN dbname=postgres" -c "$1"; }
