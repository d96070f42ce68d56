#!/usr/bin/env bash
# docs/openapi.yaml as tools read it: Redocly CLI (tools/web, npm) with its recommended rules
# (docs/redocly.yaml; kept exceptions with their reasons in docs/.redocly.lint-ignore.yaml).
# Fails on any error or warning.
#   openapi_lint_test.sh ROOT
set -euo pipefail
root="$1"
redocly="$root/tools/web/node_modules/.bin/redocly"
[ -x "$redocly" ] || { echo "FAILED: $redocly missing (./dev deps installs it)"; exit 1; }
out="$(cd "$root/docs" && "$redocly" lint openapi.yaml --config redocly.yaml --format=stylish 2>&1)" ||
  { echo "$out"; echo "FAILED: redocly lint found errors"; exit 1; }
echo "$out" | sed -n '/validating/,$p'
if echo "$out" | grep -Eq '^ +[0-9]+:[0-9]+ +(warning|error)'; then
  echo "FAILED: redocly lint reported problems (see above)"
  exit 1
fi
echo "ok: docs/openapi.yaml passes Redocly's recommended rules"
