# shellcheck shell=bash
# ./dev compose-demo: deploy/compose.yaml run for real by a container engine on this machine
# (Debian 12, no image registry reachable), and the demo's story played against it over HTTP.
# Sourced by ./dev, not run.
#
#   ./dev compose-demo            build, start, demo, check, tear down (exit 1 when a check fails)
#   ./dev compose-demo --keep     leave the stack running (then: ./dev compose-demo --down)
#   ./dev compose-demo --down     tear down a stack left by --keep
#   ./dev compose-demo --compile  synchub:local compiled in the image (deploy/docker/Dockerfile,
#                                 the Docker user's path; ~10-25 min on 2 cores) instead of
#                                 from build/'s binaries
#
# The path (issue 17, item 5; docs/deploy.md "Running it with Podman"):
#   1. Debian's podman (runtime runc: crun refuses this machine's hybrid cgroup layout), runc,
#      debootstrap and docker-compose 1.29 are installed when missing (COMPOSE_PACKAGES, not
#      tools/dev/debian-packages.txt: ./dev test does not need them).
#   2. /etc/containers/containers.conf gets `runtime = "runc"` and explicit default_ulimits
#      (podman's defaults are refused here: "error setting rlimit type 7: operation not
#      permitted") when it has no such settings; the output says so.
#   3. The base image localhost/debian:bookworm is made once with debootstrap --variant=minbase
#      from the Debian mirror apt uses, then `podman import` (kept in podman's storage).
#   4. The images: synchub:local from the host's binaries (cmake --install --strip into
#      $COMPOSE_DIR/context, deploy/docker/Dockerfile.prebuilt), synchub-postgres:local and
#      synchub-prometheus:local from Debian packages (apt-get in the build, --network=host).
#   5. `podman system service` on a socket in $COMPOSE_DIR; docker-compose (which honours
#      depends_on conditions; podman-compose 1.0.3 ignores them) talks to it through
#      DOCKER_HOST. Podman runs no health checks by itself here (no systemd timers), so a loop
#      runs `podman healthcheck run` every 2 s for the project's starting or unhealthy
#      containers.
#   6. deploy/demo/stack_demo.sh against the published ports, then checks: the demo's own,
#      every container running (one-shots exited 0), every Prometheus target up.
#
# State: $COMPOSE_DIR (default build/compose-demo): socket, logs, the staged binaries. Ports
# are published on 127.0.0.1 from a free base (SYNCHUB_COMPOSE_PORT_BASE to choose one).

COMPOSE_DIR="${SYNCHUB_COMPOSE_DIR:-$BUILD_DIR/compose-demo}"
COMPOSE_PROJECT="${SYNCHUB_COMPOSE_PROJECT:-synchub-demo}"
COMPOSE_BASE_IMAGE="localhost/debian:bookworm"
# iptables: netavark sets up the bridge and published ports with it; without it every container
# start fails with "Error: netavark: No such file or directory (os error 2)".
COMPOSE_PACKAGES=(podman runc catatonit netavark aardvark-dns iptables debootstrap docker-compose)
COMPOSE_FILE_PATH="$ROOT/deploy/compose.yaml"

_compose_elapsed() { echo "$(($(date +%s) - $1)) s"; }

_compose_packages() {
  local missing=() pkg
  for pkg in "${COMPOSE_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed' ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "compose-demo: needs root (podman as root, debootstrap): missing ${missing[*]}"
  info "compose-demo: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "compose-demo: apt-get install ${missing[*]} failed"
}

# Adds what podman needs on this machine to /etc/containers/containers.conf, only when the
# file does not set it already.
_compose_containers_conf() {
  local conf=/etc/containers/containers.conf
  if [ -f "$conf" ] && grep -q '^[[:space:]]*runtime[[:space:]]*=' "$conf" &&
    grep -q '^[[:space:]]*default_ulimits[[:space:]]*=' "$conf"; then
    return 0
  fi
  if [ -f "$conf" ] && grep -q '^[[:space:]]*\(runtime\|default_ulimits\)[[:space:]]*=' "$conf"; then
    die "compose-demo: $conf sets only one of runtime and default_ulimits; add the other (runtime = \"runc\" in [engine]; default_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"] in [containers])"
  fi
  if [ -f "$conf" ] && grep -q '^\[\(containers\|engine\)\]' "$conf"; then
    die "compose-demo: $conf has [containers] or [engine] tables without runtime/default_ulimits; add runtime = \"runc\" to [engine] and default_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"] to [containers] by hand"
  fi
  mkdir -p /etc/containers
  cat >>"$conf" <<'EOF'
# Added by synchub's ./dev compose-demo (tools/dev/compose.sh): podman's default rlimits are
# refused in this machine's containers ("error setting rlimit type 7: operation not
# permitted"), and crun refuses its hybrid cgroup layout.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
EOF
  info "compose-demo: wrote runtime = \"runc\" and default_ulimits (nofile 20000, nproc 4096) into $conf (it had neither)"
}

# The Debian mirror apt is configured with (deb822 sources first), for debootstrap.
_compose_mirror() {
  local uri
  uri="$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)"
  [ -n "$uri" ] || uri="$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*\/debian\)\/*[[:space:]]\+bookworm[[:space:]].*/\2/p' /etc/apt/sources.list 2>/dev/null | head -1)"
  echo "${uri:-http://deb.debian.org/debian}"
}

# localhost/debian:bookworm, made once (debootstrap --variant=minbase, ~1-2 min) and kept.
_compose_base_image() {
  if podman image exists "$COMPOSE_BASE_IMAGE"; then
    info "compose-demo: base image $COMPOSE_BASE_IMAGE present (cached; podman rmi it to remake)"
    return 0
  fi
  local rootfs="$COMPOSE_DIR/rootfs" mirror started
  mirror="$(_compose_mirror)"
  started=$(date +%s)
  info "compose-demo: making $COMPOSE_BASE_IMAGE: debootstrap --variant=minbase bookworm from $mirror"
  rm -rf "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$COMPOSE_DIR/logs/debootstrap.log" 2>&1 ||
    die "compose-demo: debootstrap failed (log: $COMPOSE_DIR/logs/debootstrap.log)"
  # apt inside the image as on the host: the same deb822 sources (and snapshot comments).
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/debian.sources"
    rm -f "$rootfs/etc/apt/sources.list"
  fi
  rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
  tar -C "$rootfs" -c . | podman import - "$COMPOSE_BASE_IMAGE" >/dev/null ||
    die "compose-demo: podman import failed"
  rm -rf "$rootfs"
  info "compose-demo: base image made in $(_compose_elapsed "$started")"
}

# The images, from the host's binaries and Debian packages (layers cached by podman).
_compose_images() {
  local context="$COMPOSE_DIR/context" started
  started=$(date +%s)
  rm -rf "$context"
  mkdir -p "$context"
  cmake --install "$BUILD_DIR" --prefix "$context" --strip >"$COMPOSE_DIR/logs/install.log" 2>&1 ||
    die "compose-demo: cmake --install $BUILD_DIR failed (log: $COMPOSE_DIR/logs/install.log)"
  [ -x "$context/bin/synchub-resolver" ] || die "compose-demo: no binaries in $context/bin"
  local image dockerfile dir
  for image in synchub:local synchub-postgres:local synchub-prometheus:local; do
    case "$image" in
      synchub:local)
        if [ "${COMPOSE_COMPILE:-0}" = 1 ]; then
          dockerfile="$ROOT/deploy/docker/Dockerfile" dir="$ROOT"
        else
          dockerfile="$ROOT/deploy/docker/Dockerfile.prebuilt" dir="$context"
        fi ;;
      synchub-postgres:local) dockerfile="$ROOT/deploy/docker/postgres.Dockerfile" dir="$ROOT/deploy/docker" ;;
      synchub-prometheus:local) dockerfile="$ROOT/deploy/docker/prometheus.Dockerfile" dir="$ROOT/deploy/docker" ;;
    esac
    local one
    one=$(date +%s)
    podman build --network=host --build-arg BASE="$COMPOSE_BASE_IMAGE" -f "$dockerfile" \
      -t "$image" "$dir" >"$COMPOSE_DIR/logs/build-${image%%:*}.log" 2>&1 ||
      { tail -30 "$COMPOSE_DIR/logs/build-${image%%:*}.log"
        die "compose-demo: podman build $image failed (log: $COMPOSE_DIR/logs/build-${image%%:*}.log)"; }
    info "compose-demo: image $image built in $(_compose_elapsed "$one")"
  done
  info "compose-demo: images built in $(_compose_elapsed "$started")"
}

# podman system service on $COMPOSE_DIR/podman.sock, for docker-compose.
_compose_service_start() {
  export DOCKER_HOST="unix://$COMPOSE_DIR/podman.sock"
  if [ -S "$COMPOSE_DIR/podman.sock" ] && curl -fsS --unix-socket "$COMPOSE_DIR/podman.sock" http://d/_ping >/dev/null 2>&1; then
    return 0
  fi
  rm -f "$COMPOSE_DIR/podman.sock"
  setsid podman system service --time=0 "$DOCKER_HOST" >"$COMPOSE_DIR/logs/podman-service.log" 2>&1 &
  echo $! >"$COMPOSE_DIR/podman-service.pid"
  local _
  for _ in $(seq 100); do
    curl -fsS --unix-socket "$COMPOSE_DIR/podman.sock" http://d/_ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "compose-demo: podman system service did not answer on $COMPOSE_DIR/podman.sock (log: $COMPOSE_DIR/logs/podman-service.log)"
}

# Runs the health checks podman does not run by itself: every 2 s, `podman healthcheck run`
# for each of the project's containers whose health is starting or unhealthy.
_compose_health_loop_start() {
  _compose_health_loop_stop
  (
    while :; do
      podman ps --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" \
        --format '{{.Names}} {{.Status}}' 2>/dev/null |
        while read -r name status; do
          case "$status" in
            *"(starting)"* | *"(unhealthy)"*) podman healthcheck run "$name" >/dev/null 2>&1 || true ;;
          esac
        done
      sleep 2
    done
  ) >/dev/null 2>&1 &
  echo $! >"$COMPOSE_DIR/health-loop.pid"
}

_compose_health_loop_stop() {
  local pid
  pid="$(cat "$COMPOSE_DIR/health-loop.pid" 2>/dev/null || true)"
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -f "$COMPOSE_DIR/health-loop.pid"
}

_compose_ports() {
  local base="${SYNCHUB_COMPOSE_PORT_BASE:-}"
  [ -n "$base" ] || base="$(cat "$COMPOSE_DIR/port-base" 2>/dev/null || true)"
  [ -n "$base" ] || base="$(free_stack_port_base)"
  echo "$base" >"$COMPOSE_DIR/port-base"
  export SYNCHUB_PG_PORT=$((base + 32)) SYNCHUB_RESOLVER_PORT=$((base + 60))
  export SYNCHUB_DEAD_LETTER_PORT=$((base + 61)) SYNCHUB_RESOLVER_METRICS_PORT=$((base + 62))
  export SYNCHUB_INGEST_ZMQ_PORT=$((base + 70)) SYNCHUB_HTTP_PORT=$((base + 80))
  export SYNCHUB_OUTBOUND_PORT=$((base + 90)) SYNCHUB_OUTBOUND_METRICS_PORT=$((base + 91))
  export SYNCHUB_PROMETHEUS_PORT=$((base + 95)) SYNCHUB_GRAFANA_PORT=$((base + 96))
  export SYNCHUB_BASE_IMAGE="$COMPOSE_BASE_IMAGE" SYNCHUB_PG_PASSWORD=synchub
}

_compose() {
  docker-compose -f "$COMPOSE_FILE_PATH" -p "$COMPOSE_PROJECT" "$@"
}

_compose_down() {
  info "compose-demo: tearing down (docker-compose down -v)"
  _compose down -v --remove-orphans --timeout 10 >"$COMPOSE_DIR/logs/down.log" 2>&1 ||
    { tail -20 "$COMPOSE_DIR/logs/down.log"; info "compose-demo: docker-compose down failed (log: $COMPOSE_DIR/logs/down.log)"; }
  _compose_health_loop_stop
  local pid
  pid="$(cat "$COMPOSE_DIR/podman-service.pid" 2>/dev/null || true)"
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -f "$COMPOSE_DIR/podman-service.pid" "$COMPOSE_DIR/podman.sock" "$COMPOSE_DIR/port-base" \
    "$COMPOSE_DIR/credentials.json"
}

# Waits until every long-running service is healthy (or running, without a check).
_compose_wait_healthy() {
  local deadline=$(($(date +%s) + ${1:-240})) waiting line
  while :; do
    waiting=""
    while read -r line; do
      case "$line" in
        *"(healthy)"*) ;;
        *) waiting="$waiting ${line%% *}" ;;
      esac
    done < <(podman ps --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" --format '{{.Names}} {{.Status}}')
    [ -z "$waiting" ] && [ "$(podman ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" | wc -l)" -ge 9 ] && return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then
      podman ps -a --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" --format '{{.Names}}  {{.Status}}'
      return 1
    fi
    sleep 2
  done
}

# Prometheus's /api/v1/targets: prints each target and its health; 0 when all are up (waits
# for the first scrapes, up to $1 s).
_compose_prometheus_targets() {
  local url="http://127.0.0.1:$SYNCHUB_PROMETHEUS_PORT/api/v1/targets" deadline=$(($(date +%s) + ${1:-90})) out
  while :; do
    out="$(curl -fsS "$url" 2>/dev/null | python3 -c '
import json, sys
targets = json.load(sys.stdin)["data"]["activeTargets"]
for t in sorted(targets, key=lambda t: t["scrapeUrl"]):
    print("  %-8s %-18s %s  %s" % (t["health"], t["labels"].get("job", "?"), t["scrapeUrl"],
                                    t.get("lastError") or ""))
print("ALLUP" if targets and all(t["health"] == "up" for t in targets) else "NOTUP")
')" || out="NOTUP (no answer from $url)"
    if [[ "$out" == *ALLUP ]] || [ "$(date +%s)" -ge "$deadline" ]; then
      echo "${out%$'\n'*}"
      [[ "$out" == *ALLUP ]]
      return
    fi
    sleep 3
  done
}

cmd_compose_demo() {
  local keep=0 arg
  COMPOSE_COMPILE=0
  for arg in "$@"; do
    case "$arg" in
      --keep) keep=1 ;;
      --compile) COMPOSE_COMPILE=1 ;;
      --down)
        mkdir -p "$COMPOSE_DIR/logs"
        _compose_ports
        _compose_service_start
        _compose_down
        return 0
        ;;
      *) die "compose-demo: unknown option $arg (--keep, --down, --compile)" ;;
    esac
  done
  local total started
  total=$(date +%s)
  mkdir -p "$COMPOSE_DIR/logs"
  _compose_packages
  _compose_containers_conf
  cmd_build
  _compose_base_image
  _compose_images
  _compose_ports
  _compose_service_start
  # Whatever happens from here on (a failed check, die, Ctrl-C), nothing is left running
  # unless --keep.
  [ "$keep" = 1 ] || trap '_compose_down' EXIT
  # A stack left by --keep or a failed run: down first (volumes too: a clean start).
  _compose down -v --remove-orphans --timeout 10 >/dev/null 2>&1 || true
  _compose_health_loop_start
  started=$(date +%s)
  info "compose-demo: docker-compose up (project $COMPOSE_PROJECT, HTTP on 127.0.0.1:$SYNCHUB_HTTP_PORT)"
  if ! _compose up -d --no-build >"$COMPOSE_DIR/logs/up.log" 2>&1; then
    tail -30 "$COMPOSE_DIR/logs/up.log"
    _compose logs --no-color >"$COMPOSE_DIR/logs/services.log" 2>&1 || true
    die "compose-demo: docker-compose up failed (logs: $COMPOSE_DIR/logs/up.log, services.log)"
  fi
  if ! _compose_wait_healthy 240; then
    _compose logs --no-color >"$COMPOSE_DIR/logs/services.log" 2>&1 || true
    die "compose-demo: not every service became healthy within 240 s (log: $COMPOSE_DIR/logs/services.log)"
  fi
  local up_time
  up_time="$(_compose_elapsed "$started")"
  info "compose-demo: every service healthy, $up_time after up"
  echo
  _compose ps
  echo

  # The demo's story (deploy/demo/stack_demo.sh) with the compose stack's ports and tokens.
  local failures=0
  (umask 077 && podman exec "${COMPOSE_PROJECT}_ingest_1" cat /etc/synchub/secrets/credentials.json >"$COMPOSE_DIR/credentials.json") ||
    die "compose-demo: cannot read credentials.json from the ingest container"
  started=$(date +%s)
  echo "== The demo's story on the compose stack (over HTTP, 127.0.0.1:$SYNCHUB_HTTP_PORT) =="
  (
    # shellcheck disable=SC2034  # read by stack_demo.sh and stack_token
    STACK_DIR="$COMPOSE_DIR" HTTP_PORT="$SYNCHUB_HTTP_PORT"
    # shellcheck disable=SC2034
    PG_CONN="host=127.0.0.1 port=$SYNCHUB_PG_PORT user=synchub"
    export PGPASSWORD="$SYNCHUB_PG_PASSWORD"
    # shellcheck source=deploy/demo/stack_demo.sh
    source "$ROOT/deploy/demo/stack_demo.sh"
  ) | sed '/^Explore further/,/\.\/dev load/d' || failures=$((failures + 1))  # (./dev up's hints)
  local demo_time
  demo_time="$(_compose_elapsed "$started")"
  echo

  echo "== Checks =="
  local state
  state="$(podman ps -a --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" --format '{{.Names}}|{{.Status}}' | sort)"
  local name status
  while IFS='|' read -r name status; do
    case "$name:$status" in
      *_migrate_*:"Exited (0)"* | *_credentials_*:"Exited (0)"*) verdict="ok (one-shot, exit 0)" ;;
      *:*"(healthy)"*) verdict="ok" ;;
      *) verdict="NOT OK"; failures=$((failures + 1)) ;;
    esac
    printf '  %-36s %-28s %s\n' "$name" "$status" "$verdict"
  done <<<"$state"
  local reader http
  reader="$(sed -n 's/.*"reader": *"\([^"]*\)".*/\1/p' "$COMPOSE_DIR/credentials.json")"
  http="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $reader" "http://127.0.0.1:$SYNCHUB_HTTP_PORT/metrics")"
  echo "  gateway /metrics with the reader's token: HTTP $http"
  [ "$http" = 200 ] || failures=$((failures + 1))
  echo "Prometheus targets (http://127.0.0.1:$SYNCHUB_PROMETHEUS_PORT/api/v1/targets):"
  _compose_prometheus_targets 90 || failures=$((failures + 1))
  local rules
  rules="$(curl -fsS "http://127.0.0.1:$SYNCHUB_PROMETHEUS_PORT/api/v1/rules" 2>/dev/null | python3 -c '
import json, sys
groups = json.load(sys.stdin)["data"]["groups"]
print(len(groups), sum(len(g["rules"]) for g in groups))' 2>/dev/null || echo "0 0")"
  echo "  alert rules loaded (deploy/prometheus/alerts.yml): ${rules% *} group(s), ${rules#* } rule(s)"
  [ "${rules#* }" -gt 0 ] || failures=$((failures + 1))
  echo
  echo "compose-demo timings: stack up to healthy $up_time, demo $demo_time, whole run $(_compose_elapsed "$total")"
  _compose logs --no-color >"$COMPOSE_DIR/logs/services.log" 2>&1 || true
  if [ "$keep" = 1 ]; then
    cat <<EOF
The stack keeps running (--keep). With it:
  export DOCKER_HOST=$DOCKER_HOST
  docker-compose -f deploy/compose.yaml -p $COMPOSE_PROJECT ps
  curl http://127.0.0.1:$SYNCHUB_HTTP_PORT/healthz       # Prometheus: http://127.0.0.1:$SYNCHUB_PROMETHEUS_PORT
  ./dev compose-demo --down                              # tear it down
EOF
  else
    trap - EXIT
    _compose_down
  fi
  if [ "$failures" -gt 0 ]; then
    die "compose-demo: $failures check(s) failed (service logs: $COMPOSE_DIR/logs/services.log)"
  fi
  info "compose-demo: every check passed"
}
