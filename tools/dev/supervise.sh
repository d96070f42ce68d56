#!/usr/bin/env bash
# supervise.sh NAME PIDFILE LOGFILE COMMAND...
# Runs COMMAND with its output appended to LOGFILE and its pid in PIDFILE, and restarts it
# when it exits, as compose's `restart: unless-stopped` does: after 1 s, doubling to 30 s,
# back to 1 s once a run lasted 60 s. Each restart is logged ("supervise: ..."); a service
# that exits is a bug to fix (docs/operations.md), this only keeps the stack serving.
# SIGTERM or SIGINT: sends SIGTERM to COMMAND, waits for it and exits.
name="$1" pidfile="$2" log="$3"
shift 3
stopping=0 child=0 delay=1
trap 'stopping=1; [ "$child" -gt 0 ] && kill -TERM "$child" 2>/dev/null' TERM INT
while :; do
  started=$(date +%s)
  "$@" >>"$log" 2>&1 &
  child=$!
  echo "$child" >"$pidfile"
  wait "$child"
  rc=$?
  # A trapped signal ends `wait` early: wait again until the child has really ended.
  while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    rc=$?
  done
  [ "$stopping" = 1 ] && exit 0
  ran=$(($(date +%s) - started))
  [ "$ran" -ge 60 ] && delay=1
  echo "supervise: $name (pid $child) exited with status $rc after ${ran}s; restarting in ${delay}s" >>"$log"
  sleep "$delay" &
  wait $!
  [ "$stopping" = 1 ] && exit 0
  delay=$((delay * 2 > 30 ? 30 : delay * 2))
done
