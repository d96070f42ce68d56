# Small helpers shared by ./dev and its sub-scripts. Sourced, not run.

info() { printf '\033[1m[dev]\033[0m %s\n' "$*" >&2; }
die() {
  printf '\033[1;31m[dev] error:\033[0m %s\n' "$*" >&2
  exit 1
}

# Prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_loopback_port() {
  local port tries=0
  while [ $tries -lt 200 ]; do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
    tries=$((tries + 1))
  done
  die "no free loopback port found"
}
