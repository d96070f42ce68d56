# shellcheck shell=bash
# The stack's HTTPS entrance: Debian's nginx (package nginx-light) in front of synchub-ingest,
# configured from deploy/nginx/synchub.conf.template (TLS, request limits, whole requests to
# the gateway; docs/security.md). Sourced by tools/dev/stack.sh (after tools/dev/lib.sh: info,
# die), not run. nginx runs as the invoking user, everything it writes in the state folder:
#   STATE_DIR/nginx/nginx.conf, nginx.pid, tmp/   the rendered configuration, pid, temp files
#   STATE_DIR/logs/nginx-error.log, nginx-access.log
#   proxy_make_cert DIR                                  self-signed cert.pem and key.pem in DIR
#   proxy_start STATE_DIR LISTEN_PORT UPSTREAM_PORT      start it (certificate in STATE_DIR/tls)
#   proxy_stop STATE_DIR                                 stop it
#   proxy_status STATE_DIR LISTEN_PORT                   one line for ./dev status

PROXY_NGINX="${SYNCHUB_NGINX:-/usr/sbin/nginx}"
PROXY_TEMPLATE="$ROOT/deploy/nginx/synchub.conf.template"

# proxy_make_cert DIR: a self-signed certificate for CN=localhost (subjectAltName localhost and
# 127.0.0.1, P-256, 825 days) in DIR/cert.pem, its key in DIR/key.pem (0600). Kept when both
# are already there, so clients that trust it keep working across restarts; replace the two
# files with your own to use another certificate.
proxy_make_cert() {
  local dir="$1"
  [ -s "$dir/cert.pem" ] && [ -s "$dir/key.pem" ] && return 0
  command -v openssl >/dev/null || die "proxy: openssl is not installed (./dev deps)"
  mkdir -p "$dir"
  (
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 825 -nodes \
      -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$dir/key.pem" -out "$dir/cert.pem" >"$dir/openssl.log" 2>&1
  ) || { cat "$dir/openssl.log" >&2; die "proxy: could not create a certificate in $dir"; }
  chmod 600 "$dir/key.pem"
  chmod 644 "$dir/cert.pem"
  rm -f "$dir/openssl.log"
}

_proxy_pid() {
  local pidfile="$1/nginx/nginx.pid" pid
  [ -s "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# True when nginx answers anything (any status: the gateway's health is not checked here).
_proxy_answers() {
  curl -sk -o /dev/null --max-time 2 "https://127.0.0.1:$1/healthz"
}

# proxy_start STATE_DIR LISTEN_PORT UPSTREAM_PORT: renders the template into
# STATE_DIR/nginx/nginx.conf (certificate STATE_DIR/tls/cert.pem and key.pem, see
# proxy_make_cert), starts nginx on LISTEN_PORT (TLS) in front of 127.0.0.1:UPSTREAM_PORT and
# waits until it answers https://127.0.0.1:LISTEN_PORT/healthz. A running one is restarted, so
# a changed template or certificate takes effect.
proxy_start() {
  local state="$1" listen="$2" upstream="$3"
  local conf="$state/nginx/nginx.conf" user_line=""
  [ -x "$PROXY_NGINX" ] || die "proxy: $PROXY_NGINX not found (./dev deps installs nginx-light)"
  if [ ! -s "$state/tls/cert.pem" ] || [ ! -s "$state/tls/key.pem" ]; then
    die "proxy: no certificate in $state/tls (proxy_make_cert $state/tls)"
  fi
  _proxy_pid "$state" >/dev/null && proxy_stop "$state"
  mkdir -p "$state/nginx/tmp" "$state/logs"
  # As root nginx would run its workers as nobody; run them as the invoking user instead.
  [ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
  # '|' as sed's separator: the paths contain '/'; the state folder must not contain '|' or '&'.
  case "$state" in *'|'* | *'&'*) die "proxy: the state folder's path contains | or &: $state" ;; esac
  # Comment lines are left as they are (the template's header names the placeholders).
  sed -e '/^[[:space:]]*#/b' -e "s|@LISTEN_PORT@|$listen|g" -e "s|@UPSTREAM_PORT@|$upstream|g" \
    -e "s|@CERT@|$state/tls/cert.pem|g" -e "s|@KEY@|$state/tls/key.pem|g" \
    -e "s|@STATE@|$state|g" -e "s|@USER_LINE@|$user_line|g" "$PROXY_TEMPLATE" >"$conf.new"
  grep -v '^[[:space:]]*#' "$conf.new" | grep -q '@[A-Z_]*@' &&
    die "proxy: unsubstituted placeholder in $conf.new"
  mv "$conf.new" "$conf"
  # -e: the error log before the configuration is read (the package's default is stderr).
  "$PROXY_NGINX" -q -t -p "$state/nginx/" -e "$state/logs/nginx-error.log" -c "$conf" ||
    die "proxy: nginx rejects $conf (see $state/logs/nginx-error.log)"
  # Daemonizes once the port is bound: a port in use fails here, with the reason on stderr.
  "$PROXY_NGINX" -p "$state/nginx/" -e "$state/logs/nginx-error.log" -c "$conf" ||
    { tail -5 "$state/logs/nginx-error.log" >&2; die "proxy: nginx did not start on port $listen"; }
  local deadline=$((SECONDS + 10))
  until _proxy_answers "$listen"; do
    if [ $SECONDS -ge $deadline ] || ! _proxy_pid "$state" >/dev/null; then
      tail -20 "$state/logs/nginx-error.log" >&2
      die "proxy: nginx does not answer on https://127.0.0.1:$listen (log: $state/logs/nginx-error.log)"
    fi
    sleep 0.1
  done
}

# proxy_stop STATE_DIR: stops the nginx of STATE_DIR (SIGQUIT: finishes the requests in
# progress; SIGTERM after 5 s, SIGKILL after 2 more). Nothing to do when none runs.
proxy_stop() {
  local state="$1" pid waited=0
  pid="$(_proxy_pid "$state")" || { rm -f "$state/nginx/nginx.pid"; return 0; }
  kill -QUIT "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    waited=$((waited + 1))
    [ $waited -eq 50 ] && kill -TERM "$pid" 2>/dev/null
    if [ $waited -eq 70 ]; then
      pkill -KILL -P "$pid" 2>/dev/null || true  # its workers, which outlive a killed master
      kill -KILL "$pid" 2>/dev/null || true
    fi
    if [ $waited -gt 80 ]; then
      info "proxy: nginx (pid $pid) does not stop"
      return 0
    fi
    sleep 0.1
  done
  rm -f "$state/nginx/nginx.pid"
}

# proxy_status STATE_DIR LISTEN_PORT: one line in ./dev status's format.
proxy_status() {
  local pid
  if pid="$(_proxy_pid "$1")"; then
    printf '%-18s %s\n' "proxy (nginx)" "running   pid $pid   https://127.0.0.1:$2"
  else
    printf '%-18s %s\n' "proxy (nginx)" "stopped"
  fi
}
