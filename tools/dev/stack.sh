# The project-local stack: PostgreSQL in .synchub/pg, the four services and the four demo
# connectors as background processes. Sourced by ./dev (up, down, status, psql), not run.
#
# Ports (SYNCHUB_PORT_BASE, default 15400, moves them all, so stacks can run side by side):
#   +32 PostgreSQL   +60 resolver   +61 dead letters (PUB)   +62 resolver metrics
#   +70 ingest ZeroMQ   +80 ingest HTTP (and its /metrics)   +90 outbound   +91 outbound metrics
#   +81 HTTPS: nginx in front of ingest HTTP (tools/dev/proxy.sh)
#   +92..+95 connector metrics (CRM, ERP, Portal, LocalDB)   +96 Prometheus (scrapes them all)

STACK_DIR="${SYNCHUB_STATE_DIR:-$ROOT/.synchub}"
PORT_BASE="${SYNCHUB_PORT_BASE:-15400}"
PG_PORT=$((PORT_BASE + 32))
RESOLVER_PORT=$((PORT_BASE + 60))
DEAD_LETTER_PORT=$((PORT_BASE + 61))
RESOLVER_METRICS_PORT=$((PORT_BASE + 62))
INGEST_ZMQ_PORT=$((PORT_BASE + 70))
HTTP_PORT=$((PORT_BASE + 80))
HTTPS_PORT=$((PORT_BASE + 81))
OUTBOUND_PORT=$((PORT_BASE + 90))
OUTBOUND_METRICS_PORT=$((PORT_BASE + 91))
CONNECTOR_METRICS_PORT_FIRST=$((PORT_BASE + 92))  # + the source's index in DEMO_SOURCES
PROMETHEUS_PORT=$((PORT_BASE + 96))
DEMO_SOURCES=(CRM ERP Portal LocalDB)
HUB_DB="synchub"
PG_CONN="host=127.0.0.1 port=$PG_PORT user=synchub"

# shellcheck source=tools/dev/proxy.sh
source "$ROOT/tools/dev/proxy.sh"

_stack_pg_running() {
  [ -f "$STACK_DIR/pg/data/postmaster.pid" ] &&
    _pg_as_owner "$PG_BIN/pg_ctl" -D "$STACK_DIR/pg/data" status >/dev/null 2>&1
}

_stack_pg_start() {
  mkdir -p "$STACK_DIR/pg"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    chown postgres: "$STACK_DIR/pg"
    chmod 755 "$STACK_DIR" "$STACK_DIR/pg"
  fi
  if [ ! -f "$STACK_DIR/pg/data/PG_VERSION" ]; then
    info "up: creating the project-local PostgreSQL cluster in $STACK_DIR/pg"
    _pg_as_owner "$PG_BIN/initdb" -D "$STACK_DIR/pg/data" -U synchub -A trust -E UTF8 \
      >"$STACK_DIR/pg/initdb.log" 2>&1 || { cat "$STACK_DIR/pg/initdb.log"; die "initdb failed"; }
  fi
  if _stack_pg_running; then
    info "up: PostgreSQL already running on port $PG_PORT (reused)"
    return 0
  fi
  _pg_as_owner "$PG_BIN/pg_ctl" -D "$STACK_DIR/pg/data" -l "$STACK_DIR/pg/server.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $STACK_DIR/pg -c max_connections=300" \
    start >/dev/null || { tail -20 "$STACK_DIR/pg/server.log"; die "PostgreSQL did not start"; }
}

_stack_psql() { PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

_stack_db_exists() {
  [ "$(_stack_psql "$PG_CONN dbname=postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]
}

_stack_connector_config() {
  local source="$1" db
  db="$(tr '[:upper:]' '[:lower:]' <<<"$source")"
  cat <<JSON
{"source": "$source",
 "database": "$PG_CONN dbname=$db",
 "submit": "tcp://127.0.0.1:$INGEST_ZMQ_PORT",
 "outbound": "tcp://127.0.0.1:$OUTBOUND_PORT",
 "api": "http://127.0.0.1:$HTTP_PORT",
 "token": "$(_stack_source_token "$1")",
 "curve": {"secret_key_file": "$STACK_DIR/keys/$(tr '[:upper:]' '[:lower:]' <<<"$1").key",
           "submit_server_key_file": "$STACK_DIR/keys/ingest.pub",
           "outbound_server_key_file": "$STACK_DIR/keys/outbound.pub"},
 "entities": [
  {"entity": "client", "table": "local_records", "key": "external_id", "version": "version",
   "fields": {"full_name": "fullName", "email": "email"}},
  {"entity": "order", "table": "local_orders", "key": "external_id", "version": "version",
   "fields": {"client_id": "clientId", "amount": "amount"}}]}
JSON
}

# _stack_key NAME: makes $STACK_DIR/keys/NAME.key (0600) and NAME.pub once (synchub-keygen).
_stack_key() {
  mkdir -p "$STACK_DIR/keys"
  chmod 700 "$STACK_DIR/keys"
  [ -f "$STACK_DIR/keys/$1.key" ] ||
    "$BUILD_DIR/services/common/zmq/synchub-keygen" --out "$STACK_DIR/keys/$1" >/dev/null ||
    die "cannot make the CURVE key $1"
}

# _stack_credentials: the demo's credentials and CURVE keys (docs/security.md), made once per
# hub database with synchub-migrate (database access is the root of trust): the services' key
# pairs (resolver, ingest, outbound: servers; gateway: the gateway's service credential), a
# key pair and a token per demo source, and tokens for an operator and a reader, kept in
# $STACK_DIR/credentials.json (0600): {"operator": TOKEN, "reader": TOKEN, "sources":
# {"CRM": TOKEN, ...}} and $STACK_DIR/keys/. Made again when the file is missing or its
# credentials are not active in this hub database (a fresh database).
_stack_credentials() {
  local file="$STACK_DIR/credentials.json" migrate="$BUILD_DIR/services/common/pg/synchub-migrate"
  local hub="$PG_CONN dbname=$HUB_DB" op_id="" name
  for name in resolver ingest outbound gateway; do _stack_key "$name"; done
  for name in "${DEMO_SOURCES[@]}"; do _stack_key "$(tr '[:upper:]' '[:lower:]' <<<"$name")"; done
  if [ -f "$file" ]; then
    op_id="$(sed -n 's/.*"operator": *"synchub_\([0-9]*\)_.*/\1/p' "$file" | head -1)"
    if [ -n "$op_id" ] && [ "$(_stack_psql "$hub" -tAc "SELECT count(*) FROM credential WHERE revoked_at IS NULL AND ((id = $op_id AND role = 'operator') OR (role = 'service' AND curve_public_key = '$(cat "$STACK_DIR/keys/gateway.pub")'))")" = 2 ]; then
      return 0
    fi
  fi
  info "up: making the demo's credentials ($file, $STACK_DIR/keys)"
  local make operator reader sources="" source token
  make() { "$migrate" --db "$hub" --create-credential "$@" 2>/dev/null; }
  operator="$(make operator --name "demo operator")" || die "up: cannot make the operator credential"
  reader="$(make reader --name "demo reader")" || die "up: cannot make the reader credential"
  make service --name gateway --no-token --curve-public-key "$(cat "$STACK_DIR/keys/gateway.pub")" \
    >/dev/null || die "up: cannot make the gateway's credential"
  for source in "${DEMO_SOURCES[@]}"; do
    token="$(make "source:$source" --name "$source connector" --curve-public-key \
      "$(cat "$STACK_DIR/keys/$(tr '[:upper:]' '[:lower:]' <<<"$source").pub")")" ||
      die "up: cannot make $source's credential"
    sources="$sources${sources:+, }\"$source\": \"$token\""
  done
  (umask 077 && printf '{"operator": "%s", "reader": "%s", "sources": {%s}}\n' \
    "$operator" "$reader" "$sources" >"$file.tmp") && mv "$file.tmp" "$file"
}

# stack_token ROLE: a token from credentials.json: operator, reader, or a source's name.
stack_token() {
  local file="$STACK_DIR/credentials.json"
  [ -f "$file" ] || die "no $file: run ./dev up first"
  sed -n "s/.*\"$1\": *\"\(synchub_[^\"]*\)\".*/\1/p" "$file" | head -1
}

# _stack_source_token SOURCE: the source's token from credentials.json, or, for a source that
# is not one of the demo's four (a fifth source a test attaches), a new credential's token,
# with a new CURVE key pair ($STACK_DIR/keys/<source in lower case>.key).
_stack_source_token() {
  local token db
  token="$(stack_token "$1")"
  if [ -z "$token" ]; then
    db="$(tr '[:upper:]' '[:lower:]' <<<"$1")"
    _stack_key "$db"
    token="$("$BUILD_DIR/services/common/pg/synchub-migrate" --db "$PG_CONN dbname=$HUB_DB" \
      --create-credential "source:$1" --name "$1 connector" \
      --curve-public-key "$(cat "$STACK_DIR/keys/$db.pub")" 2>/dev/null)" ||
      die "cannot make a credential for source $1"
  fi
  printf '%s' "$token"
}

# _stack_spawn NAME COMMAND...: runs COMMAND in the background under tools/dev/supervise.sh
# (restarted with backoff when it exits); its pid in .synchub/run/NAME.pid, the supervisor's in
# .synchub/run/NAME.supervisor, its log in .synchub/logs/NAME.log.
_stack_spawn() {
  local name="$1"
  shift
  local pidfile="$STACK_DIR/run/$name.pid" log="$STACK_DIR/logs/$name.log"
  if [ -f "$STACK_DIR/run/$name.supervisor" ] && kill -0 "$(cat "$STACK_DIR/run/$name.supervisor")" 2>/dev/null; then
    info "up: $name already running (pid $(cat "$pidfile" 2>/dev/null))"
    return 0
  fi
  rm -f "$pidfile"
  : >"$log"
  nohup "$ROOT/tools/dev/supervise.sh" "$name" "$pidfile" "$log" "$@" >/dev/null 2>&1 &
  echo $! >"$STACK_DIR/run/$name.supervisor"
  local tries=0
  while [ ! -s "$pidfile" ] && [ $tries -lt 100 ]; do
    sleep 0.05
    tries=$((tries + 1))
  done
}

_stack_wait_ready() {
  local name="$1" tries=0
  while ! grep -q '^READY' "$STACK_DIR/logs/$name.log" 2>/dev/null; do
    tries=$((tries + 1))
    if [ $tries -gt 200 ] || ! kill -0 "$(cat "$STACK_DIR/run/$name.pid")" 2>/dev/null; then
      tail -20 "$STACK_DIR/logs/$name.log" >&2
      die "up: $name did not start (log: $STACK_DIR/logs/$name.log)"
    fi
    sleep 0.1
  done
}

_stack_warn() { printf '\033[1m[dev]\033[0m warning: %s\n' "$*" >&2; }

# _stack_connector_metrics_port SOURCE: a demo connector's /metrics port (+92 CRM .. +95 LocalDB).
_stack_connector_metrics_port() {
  local i
  for i in "${!DEMO_SOURCES[@]}"; do
    [ "${DEMO_SOURCES[$i]}" = "$1" ] && echo $((CONNECTOR_METRICS_PORT_FIRST + i)) && return 0
  done
  return 1
}

# _stack_prometheus_config: $STACK_DIR/prometheus/prometheus.yml, scraping every service of the
# stack every 5 s (the gateway with the reader's token), with deploy/prometheus/alerts.yml.
_stack_prometheus_config() {
  local dir="$STACK_DIR/prometheus" source connectors=""
  mkdir -p "$dir/data"
  (umask 077 && stack_token reader >"$dir/reader.token")
  for source in "${DEMO_SOURCES[@]}"; do
    connectors="$connectors${connectors:+, }\"127.0.0.1:$(_stack_connector_metrics_port "$source")\""
  done
  cat >"$dir/prometheus.yml" <<YAML
# Written by ./dev up (tools/dev/stack.sh); deploy/prometheus/prometheus.yml is compose's.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $ROOT/deploy/prometheus/alerts.yml
scrape_configs:
  - job_name: synchub-gateway
    authorization:
      type: Bearer
      credentials_file: $dir/reader.token
    static_configs:
      - targets: ["127.0.0.1:$HTTP_PORT"]
  - job_name: synchub-resolver
    static_configs:
      - targets: ["127.0.0.1:$RESOLVER_METRICS_PORT"]
  - job_name: synchub-outbound
    static_configs:
      - targets: ["127.0.0.1:$OUTBOUND_METRICS_PORT"]
  - job_name: synchub-connector
    static_configs:
      - targets: [$connectors]
YAML
}

# _stack_prometheus_start: Prometheus (Debian's /usr/bin/prometheus) on +96 with its data in
# $STACK_DIR/prometheus/data, in the background (not waited for); pid in run/prometheus.pid,
# stopped by ./dev down. Without it the stack still comes up: a warning says why.
_stack_prometheus_start() {
  local pidfile="$STACK_DIR/run/prometheus.pid" log="$STACK_DIR/logs/prometheus.log"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    info "up: prometheus already running (pid $(cat "$pidfile"))"
    return 0
  fi
  if ! command -v prometheus >/dev/null; then
    _stack_warn "up: no prometheus binary (./dev deps installs Debian's prometheus): metrics are not scraped"
    return 0
  fi
  _stack_prometheus_config || { _stack_warn "up: cannot write $STACK_DIR/prometheus/prometheus.yml"; return 0; }
  nohup prometheus --config.file="$STACK_DIR/prometheus/prometheus.yml" \
    --storage.tsdb.path="$STACK_DIR/prometheus/data" --storage.tsdb.retention.time=7d \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle >"$log" 2>&1 &
  echo $! >"$pidfile"
}

# _stack_prometheus_check: warns (the stack is up regardless) when Prometheus exited already.
_stack_prometheus_check() {
  local pidfile="$STACK_DIR/run/prometheus.pid"
  [ -f "$pidfile" ] || return 0
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    _stack_warn "up: prometheus did not start (log: $STACK_DIR/logs/prometheus.log): $(tail -1 "$STACK_DIR/logs/prometheus.log" 2>/dev/null)"
    rm -f "$pidfile"
  fi
}

stack_up() {
  mkdir -p "$STACK_DIR/logs" "$STACK_DIR/run" "$STACK_DIR/connectors"
  _stack_pg_start
  local db source
  for db in "$HUB_DB" crm erp portal localdb; do
    _stack_db_exists "$db" || _stack_psql "$PG_CONN dbname=postgres" -c "CREATE DATABASE $db"
  done
  "$BUILD_DIR/services/common/pg/synchub-migrate" --db "$PG_CONN dbname=$HUB_DB" >/dev/null
  _stack_credentials
  for source in "${DEMO_SOURCES[@]}"; do
    db="$(tr '[:upper:]' '[:lower:]' <<<"$source")"
    _stack_psql "$PG_CONN dbname=$db" -f "$ROOT/deploy/demo/local_source.sql"
    _stack_connector_config "$source" >"$STACK_DIR/connectors/$db.json"
    "$BUILD_DIR/services/connector/synchub-connector" --config "$STACK_DIR/connectors/$db.json" \
      setup >/dev/null
  done
  local hub="$PG_CONN dbname=$HUB_DB"
  _stack_spawn resolver "$BUILD_DIR/services/resolver/app/synchub-resolver" --db "$hub" \
    --listen "tcp://127.0.0.1:$RESOLVER_PORT" --dead-letters "tcp://127.0.0.1:$DEAD_LETTER_PORT" \
    --metrics-listen "127.0.0.1:$RESOLVER_METRICS_PORT" --curve-secret-key "$STACK_DIR/keys/resolver.key"
  _stack_wait_ready resolver
  _stack_spawn ingest "$BUILD_DIR/services/ingest/synchub-ingest" --db "$hub" --port "$HTTP_PORT" \
    --resolver "tcp://127.0.0.1:$RESOLVER_PORT" --zmq-listen "tcp://127.0.0.1:$INGEST_ZMQ_PORT" \
    --curve-secret-key "$STACK_DIR/keys/ingest.key" --curve-client-key "$STACK_DIR/keys/gateway.key" \
    --resolver-server-key "$STACK_DIR/keys/resolver.pub"
  _stack_spawn outbound "$BUILD_DIR/services/outbound/synchub-outbound" --db "$hub" \
    --listen "tcp://127.0.0.1:$OUTBOUND_PORT" --metrics-listen "127.0.0.1:$OUTBOUND_METRICS_PORT" \
    --curve-secret-key "$STACK_DIR/keys/outbound.key"
  _stack_wait_ready ingest
  proxy_make_cert "$STACK_DIR/tls"
  proxy_start "$STACK_DIR" "$HTTPS_PORT" "$HTTP_PORT"
  _stack_wait_ready outbound
  for source in "${DEMO_SOURCES[@]}"; do
    db="$(tr '[:upper:]' '[:lower:]' <<<"$source")"
    _stack_spawn "connector-$db" "$BUILD_DIR/services/connector/synchub-connector" \
      --config "$STACK_DIR/connectors/$db.json" run \
      --metrics-listen "127.0.0.1:$(_stack_connector_metrics_port "$source")"
  done
  _stack_prometheus_start
  for source in "${DEMO_SOURCES[@]}"; do
    _stack_wait_ready "connector-$(tr '[:upper:]' '[:lower:]' <<<"$source")"
  done
  _stack_prometheus_check
  local connector_metrics="" prometheus_line="not running (see the warning above)"
  for source in "${DEMO_SOURCES[@]}"; do
    connector_metrics="$connector_metrics  $source http://127.0.0.1:$(_stack_connector_metrics_port "$source")/metrics"
  done
  [ -f "$STACK_DIR/run/prometheus.pid" ] &&
    prometheus_line="http://127.0.0.1:$PROMETHEUS_PORT  (alerts: /alerts, targets: /targets; deploy/prometheus/alerts.yml)"
  cat <<EOF2
synchub is up (logs in $STACK_DIR/logs; ./dev status; ./dev down)
  HTTP API        http://127.0.0.1:$HTTP_PORT   (openapi: /openapi.yaml, metrics: /metrics)
  console         http://127.0.0.1:$HTTP_PORT/console/   (sign in with: ./dev token operator, or reader)
  HTTPS (TLS)     https://127.0.0.1:$HTTPS_PORT  (certificate: $STACK_DIR/tls/cert.pem)
  ZeroMQ submit   tcp://127.0.0.1:$INGEST_ZMQ_PORT
  resolver        tcp://127.0.0.1:$RESOLVER_PORT   dead letters: tcp://127.0.0.1:$DEAD_LETTER_PORT
  outbound        tcp://127.0.0.1:$OUTBOUND_PORT
  metrics         http://127.0.0.1:$HTTP_PORT/metrics  http://127.0.0.1:$RESOLVER_METRICS_PORT/metrics  http://127.0.0.1:$OUTBOUND_METRICS_PORT/metrics
  connector metrics$connector_metrics
  Prometheus      $prometheus_line
  PostgreSQL      $PG_CONN dbname=$HUB_DB   (./dev psql [CRM|ERP|Portal|LocalDB])
  credentials     $STACK_DIR/credentials.json (operator, reader and one token per source; 0600)
  CURVE keys      $STACK_DIR/keys/ (services' and sources' key pairs; ZeroMQ clients need a
                  registered key: syncctl credentials create --role source:X --curve-public-key ...)
  syncctl         SYNCHUB_TOKEN=\$(./dev token operator) $BUILD_DIR/services/ingest/syncctl/syncctl --url http://127.0.0.1:$HTTP_PORT stats
  curl            curl -H "Authorization: Bearer \$(./dev token reader)" http://127.0.0.1:$HTTP_PORT/api/stats
EOF2
}

stack_status() {
  local pidfile name state restarts
  if _stack_pg_running; then
    echo "postgresql     running   port $PG_PORT"
  else
    echo "postgresql     stopped"
  fi
  for pidfile in "$STACK_DIR"/run/*.pid; do
    [ -f "$pidfile" ] || continue
    name="$(basename "$pidfile" .pid)"
    if kill -0 "$(cat "$pidfile")" 2>/dev/null; then state="running   pid $(cat "$pidfile")"; else state="stopped"; fi
    restarts="$(grep -c '^supervise: ' "$STACK_DIR/logs/$name.log" 2>/dev/null || true)"
    [ "${restarts:-0}" -gt 0 ] && state="$state   restarted ${restarts}x (see its log)"
    printf '%-18s %s\n' "$name" "$state"
  done
  proxy_status "$STACK_DIR" "$HTTPS_PORT"
}

stack_down() {
  local pidfile pid
  proxy_stop "$STACK_DIR"
  # Supervisors first (each stops its service with SIGTERM and exits), then any service left.
  for pidfile in "$STACK_DIR"/run/*.supervisor; do
    [ -f "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  for pidfile in "$STACK_DIR"/run/*.pid; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
  done
  # Each service stops by itself on SIGTERM (StopSignals); up to 5 s, then SIGKILL.
  local waited=0 alive
  while [ "$waited" -lt 50 ]; do
    alive=0
    for pidfile in "$STACK_DIR"/run/*.pid; do
      [ -f "$pidfile" ] || continue
      kill -0 "$(cat "$pidfile")" 2>/dev/null && alive=1
    done
    for pidfile in "$STACK_DIR"/run/*.supervisor; do
      [ -f "$pidfile" ] || continue
      kill -0 "$(cat "$pidfile")" 2>/dev/null && alive=1
    done
    [ "$alive" = 0 ] && break
    sleep 0.1
    waited=$((waited + 1))
  done
  for pidfile in "$STACK_DIR"/run/*.supervisor "$STACK_DIR"/run/*.pid; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
  if _stack_pg_running; then
    _pg_as_owner "$PG_BIN/pg_ctl" -D "$STACK_DIR/pg/data" -m fast -w stop >/dev/null
  fi
  info "down: stopped"
}

# stack_exists: true when an earlier ./dev up or ./dev demo left a stack (running or not).
stack_exists() { [ -d "$STACK_DIR/pg/data" ] || compgen -G "$STACK_DIR/run/*.pid" >/dev/null; }

# stack_start_clean: stops the stack if it runs and moves its state to $STACK_DIR.previous
# (replacing an older one), so the next stack_up starts from empty databases.
stack_start_clean() {
  stack_down >/dev/null
  _stack_pg_running && die "demo: could not stop the PostgreSQL in $STACK_DIR/pg (see its server.log)"
  rm -rf "$STACK_DIR.previous"
  mv "$STACK_DIR" "$STACK_DIR.previous"
}

# stack_load [syncload args]: syncload against the running stack's ZeroMQ entrance (or, with
# --http URL, its HTTP API), with verification against the hub's database. syncload's
# defaults are the standard burst: 4 sources, 20,000 events, 10% same-version conflicts.
# Records are named LOAD<time>-* unless --key-prefix is given, so each run writes new ones.
stack_load() {
  case " $* " in
    *" --help "* | *" -h "*) exec "$BUILD_DIR/services/syncload/syncload" --help ;;
  esac
  _stack_pg_running && kill -0 "$(cat "$STACK_DIR/run/ingest.pid" 2>/dev/null)" 2>/dev/null ||
    die "load: the stack is not up (./dev up or ./dev demo first)"
  local extra=()
  case " $* " in *" --endpoint "* | *" --http "*) ;; *) extra+=(--endpoint "tcp://127.0.0.1:$INGEST_ZMQ_PORT") ;; esac
  case " $* " in *" --key-prefix "*) ;; *) extra+=(--key-prefix "LOAD$(date +%s)") ;; esac
  # Each simulated source submits with its own token (over --http; docs/security.md).
  case " $* " in *" --credentials "*) ;; *) extra+=(--credentials "$STACK_DIR/credentials.json") ;; esac
  case " $* " in *" --curve-keys "*) ;; *) extra+=(--curve-keys "$STACK_DIR/keys") ;; esac
  "$BUILD_DIR/services/syncload/syncload" --verify --db "$PG_CONN dbname=$HUB_DB" "${extra[@]}" "$@"
}

stack_psql() {
  local db="$HUB_DB"
  if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
    db="$(tr '[:upper:]' '[:lower:]' <<<"$1")"
    shift
  fi
  _stack_pg_running || die "psql: the stack is not up (./dev up)"
  "$PG_BIN/psql" "$PG_CONN dbname=$db" "$@"
}

# stack_connector_command VERB SOURCE [ARGS]: runs `synchub-connector VERB` for a demo source of
# the running stack (./dev snapshot SOURCE, ./dev reconcile SOURCE [--repair] [--json]).
stack_connector_command() {
  local verb="$1" source="${2:-}" db
  if [ -z "$source" ]; then
    echo "$verb: which source? (CRM, ERP, Portal, LocalDB)" >&2
    exit 2
  fi
  shift 2
  db="$(tr '[:upper:]' '[:lower:]' <<<"$source")"
  if [ ! -f "$STACK_DIR/connectors/$db.json" ]; then
    echo "$verb: no connector $source on this stack (./dev up first; CRM, ERP, Portal, LocalDB)" >&2
    exit 2
  fi
  "$BUILD_DIR/services/connector/synchub-connector" --config "$STACK_DIR/connectors/$db.json" "$verb" "$@"
}
