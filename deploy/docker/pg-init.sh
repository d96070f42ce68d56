#!/bin/bash
# Run once by the postgres image on an empty data volume (mounted into
# /docker-entrypoint-initdb.d): creates the four demo sources' own databases (crm, erp,
# portal, localdb) and loads their local tables (deploy/demo/local_source.sql, mounted at
# /synchub/demo/). The hub's database (POSTGRES_DB, synchub) is created by the image itself and
# migrated by the `migrate` service. The image may source this file instead of running it, so
# it sets no shell options and leaves no variables behind.

synchub_create_demo_sources() {
  local db
  for db in crm erp portal localdb; do
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres \
      -c "CREATE DATABASE $db" || return 1
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$db" \
      -f /synchub/demo/local_source.sql || return 1
  done
}

synchub_create_demo_sources || { echo "pg-init.sh: creating the demo sources failed" >&2; exit 1; }
unset -f synchub_create_demo_sources
