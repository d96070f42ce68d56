# Small helpers shared by ./dev and its sub-scripts. Sourced, not run.

info() { printf '\033[1m[dev]\033[0m %s\n' "$*" >&2; }
die() {
  printf '\033[1;31m[dev] error:\033[0m %s\n' "$*" >&2
  exit 1
}

# Ports are picked in 20000-32767, below Linux's ephemeral range (32768-60999), so that no
# outgoing connection of a test running in parallel can take one between the pick and the bind.

# Prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_loopback_port() {
  local port tries=0
  while [ $tries -lt 200 ]; do
    port=$((20000 + RANDOM % 12768))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
    tries=$((tries + 1))
  done
  die "no free loopback port found"
}

# Prints a port base B such that B+32, B+60, B+61, B+62, B+70, B+80, B+90 and B+91 (the
# stack's ports, tools/dev/stack.sh) are all free on 127.0.0.1 right now.
free_stack_port_base() {
  local base offset all_free tries=0
  while [ $tries -lt 100 ]; do
    base=$((20000 + (RANDOM % 127) * 100))
    all_free=1
    for offset in 32 60 61 62 70 80 81 90 91 92 93 94 95 96; do
      if (exec 3<>"/dev/tcp/127.0.0.1/$((base + offset))") 2>/dev/null; then all_free=0; fi
    done
    if [ "$all_free" = 1 ]; then
      echo "$base"
      return 0
    fi
    tries=$((tries + 1))
  done
  die "no free port base found for the stack"
}
