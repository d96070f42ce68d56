#!/bin/bash
# Entry point of deploy/docker/postgres.Dockerfile (Debian's postgresql-15): on an empty
# $PGDATA, initdb with POSTGRES_USER as the superuser and POSTGRES_PASSWORD as its password
# (scram-sha-256 over TCP, trust on the Unix socket inside the container), create
# POSTGRES_DB, run /docker-entrypoint-initdb.d/*.sh (sourced, with POSTGRES_* set) and *.sql
# against a server listening on its socket only, then stop it. Then `postgres ARGS` runs as
# user postgres, listening on every interface (exec: it is PID 1 and gets the stop signal).
set -euo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export PGDATA POSTGRES_USER POSTGRES_DB

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

if [ "${1:-postgres}" != postgres ]; then
  exec "$@"  # e.g. `psql` or `bash` for a look inside
fi
shift || true

if [ "$(id -u)" = 0 ]; then
  install -d -o postgres -g postgres -m 0700 "$PGDATA"
  install -d -o postgres -g postgres -m 2775 /var/run/postgresql
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?is not set: the password of POSTGRES_USER (the compose file sets it)}"
  echo "postgres-entrypoint: initialising $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  as_postgres initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  # The initialisation server: Unix socket only, so health checks over TCP wait for the real one.
  as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  psql_init=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres)
  if [ "$POSTGRES_DB" != postgres ]; then
    as_postgres "${psql_init[@]}" -q -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  for file in /docker-entrypoint-initdb.d/*; do
    case "$file" in
      *.sh) echo "postgres-entrypoint: running $file"
            # shellcheck disable=SC1090
            (export PGUSER="$POSTGRES_USER"; as_postgres bash "$file") ;;
      *.sql) echo "postgres-entrypoint: running $file"
             as_postgres "${psql_init[@]}" --dbname "$POSTGRES_DB" -f "$file" ;;
      *) ;;
    esac
  done
  as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "postgres-entrypoint: initialised; starting"
fi

exec setpriv --reuid=postgres --regid=postgres --init-groups -- postgres -D "$PGDATA" "$@"
