# Sourced (`source own_stack.sh NAME`) by the shell e2e tests that run a `./dev up` stack of their
# own (db_faults, attach_source, monitoring, console_browser), with ROOT and SYNCHUB_BUILD_DIR
# set: the existing build is used as it is (SYNCHUB_NO_BUILD), `work` is a fresh folder
# /tmp/synchub-NAME-test.XXXXXX holding the stack's state, the stack gets a free port base, and
# tools/dev/stack.sh's variables are set (STACK_DIR, PG_BIN, PG_CONN, HUB_DB, the ports).
# The caller removes `work` and stops the stack (`./dev down`) on exit.
export SYNCHUB_NO_BUILD=1
source "$ROOT/tools/dev/lib.sh"
work="$(mktemp -d "/tmp/synchub-$1-test.XXXXXX")"
chmod 755 "$work"  # PostgreSQL runs as `postgres` when we are root
export SYNCHUB_STATE_DIR="$work/state"
export SYNCHUB_PORT_BASE="$(free_stack_port_base)"
BUILD_DIR="$SYNCHUB_BUILD_DIR"
source "$ROOT/tools/dev/throwaway_pg.sh"  # PG_BIN, _pg_as_owner
source "$ROOT/tools/dev/stack.sh"         # STACK_DIR, PG_CONN, HUB_DB, ports
