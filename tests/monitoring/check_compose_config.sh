#!/usr/bin/env bash
# check_compose_config.sh PROMTOOL DEPLOY_PROMETHEUS_DIR: `promtool check config` on compose's
# prometheus.yml, copied with alerts.yml into a temporary folder and its reader token file
# (/etc/synchub/secrets/reader.token, made by compose's credentials service) pointed at a file
# that exists here. Everything else is checked as written.
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$2/prometheus.yml" "$2/alerts.yml" "$work/"
echo "synchub_1_test" >"$work/reader.token"
grep -q 'credentials_file: /etc/synchub/secrets/reader.token' "$work/prometheus.yml"
sed -i "s|/etc/synchub/secrets/reader.token|$work/reader.token|" "$work/prometheus.yml"
"$1" check config "$work/prometheus.yml"
