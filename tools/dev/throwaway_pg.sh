# A throwaway PostgreSQL 15 cluster for tests. Sourced by ./dev, not run.
#
# throwaway_pg_start: initdb in a fresh temporary folder, start on a free loopback port,
#   export SYNCHUB_TEST_PG (a libpq connection string for the superuser `synchub`).
#   As root the server runs as the unprivileged `postgres` user (created if missing).
#   Tests run with fsync=off; THROWAWAY_PG_EXTRA adds or overrides server settings
#   (./dev bench turns fsync and synchronous_commit on).
# throwaway_pg_stop: stop the server and remove the folder. Safe to call twice.

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

throwaway_pg_start() {
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 not found in $PG_BIN (run ./dev deps)"
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  THROWAWAY_PG_DIR="$(mktemp -d /tmp/synchub-pg.XXXXXX)"
  chmod 755 "$THROWAWAY_PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$THROWAWAY_PG_DIR"
  _pg_as_owner "$PG_BIN/initdb" -D "$THROWAWAY_PG_DIR/data" -U synchub -A trust -E UTF8 \
    --no-sync >"$THROWAWAY_PG_DIR/initdb.log" 2>&1 ||
    { cat "$THROWAWAY_PG_DIR/initdb.log" >&2; die "initdb failed"; }
  local attempt port
  for attempt in 1 2 3 4 5; do
    port="$(free_loopback_port)"
    if _pg_as_owner "$PG_BIN/pg_ctl" -D "$THROWAWAY_PG_DIR/data" -l "$THROWAWAY_PG_DIR/server.log" \
      -w -t 60 -o "-p $port -c listen_addresses=127.0.0.1 -k $THROWAWAY_PG_DIR -c fsync=off \
      -c max_connections=200 -c shared_buffers=256MB ${THROWAWAY_PG_EXTRA:-}" start >/dev/null 2>&1; then
      export SYNCHUB_TEST_PG="host=127.0.0.1 port=$port user=synchub dbname=postgres"
      export THROWAWAY_PG_DIR
      return 0
    fi
    info "PostgreSQL did not start on port $port (attempt $attempt), trying another"
  done
  cat "$THROWAWAY_PG_DIR/server.log" >&2 || true
  die "could not start the throwaway PostgreSQL"
}

throwaway_pg_stop() {
  [ -n "${THROWAWAY_PG_DIR:-}" ] || return 0
  if [ -d "$THROWAWAY_PG_DIR/data" ]; then
    _pg_as_owner "$PG_BIN/pg_ctl" -D "$THROWAWAY_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$THROWAWAY_PG_DIR"
  THROWAWAY_PG_DIR=""
}
