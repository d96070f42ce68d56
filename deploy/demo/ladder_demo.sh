#!/usr/bin/env bash
# The demo of the resolution ladder: the seed's five scenarios, then the CUST-004 replay.
# Usage: ladder_demo.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
resolve="$1/services/resolver/cli/synchub-resolve"

echo "== The seed's five conflict scenarios (SPEC section 3) =="
echo
"$resolve" "$here/seed_scenarios.jsonl"
echo
echo "== After human review, CRM replays CUST-004 as version 6 =="
echo
"$resolve" "$here/seed_scenarios.jsonl" "$here/seed_replay.jsonl" | sed -n '/^Summary/,$p'
echo
echo "Try your own: echo '{\"externalId\":\"X\",\"source\":\"ERP\",\"version\":1,\"a\":1}' | $resolve"
