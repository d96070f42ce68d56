#!/bin/sh
# The `credentials` service of deploy/compose.yaml (a one-shot, after `migrate`, before the
# hub's services): makes the stack's CURVE key pairs and credentials once, into the volume
# mounted at /etc/synchub/secrets (docs/deploy.md, docs/security.md):
#
#   resolver ingest outbound      the servers' key pairs (NAME.key mode 0600, NAME.pub)
#   gateway                       the gateway's client key pair: a `service` credential, no token
#   crm erp portal localdb        each demo source's key pair, held by its source:NAME credential
#   credentials.json (0600)       {"operator": TOKEN, "reader": TOKEN, "sources": {"CRM": TOKEN, ...}}
#   credential-ids                one line per credential made here: ID ROLE NAME (for revoking)
#   reader.token (0600)           the reader's token alone, for Prometheus (credentials_file)
#
# Idempotent: when credentials.json and every key pair are there, it does nothing. Otherwise it
# makes all of them anew in $SECRETS/.new and moves them into place, credentials.json last, so
# the folder never holds a half-made set. The credentials live in the hub's database: this
# volume and the database volume belong together (`docker compose down -v` drops both).
#
# Needs SYNCHUB_DB (and PGPASSWORD) for synchub-migrate, which migrates first (idempotent). Runs
# as the image's user synchub: the image makes /etc/synchub/secrets owned by it (0700), and
# Docker copies that ownership into the new, empty volume.
set -eu

SECRETS="${SYNCHUB_SECRETS_DIR:-/etc/synchub/secrets}"
SOURCES="CRM ERP Portal LocalDB"
KEYS="resolver ingest outbound gateway crm erp portal localdb"
: "${SYNCHUB_DB:?is not set: the hub database connection string}"

say() { echo "credentials: $*" >&2; }
lower() { echo "$1" | tr '[:upper:]' '[:lower:]'; }

complete=yes
[ -s "$SECRETS/credentials.json" ] || complete=no
for name in $KEYS; do
  { [ -s "$SECRETS/$name.key" ] && [ -s "$SECRETS/$name.pub" ]; } || complete=no
done
# reader.token: the reader's token of credentials.json alone (a volume made before it existed
# gets it here).
reader_token_file() {
  sed -n 's/.*"reader": *"\([^"]*\)".*/\1/p' "$1" | tr -d '\n' >"$2.tmp"
  chmod 0600 "$2.tmp"
  [ -s "$2.tmp" ] || { say "no reader token in $1"; exit 3; }
  mv -f "$2.tmp" "$2"
}
if [ "$complete" = yes ]; then
  if [ ! -s "$SECRETS/reader.token" ]; then
    (umask 077 && reader_token_file "$SECRETS/credentials.json" "$SECRETS/reader.token")
    say "wrote $SECRETS/reader.token from credentials.json"
  fi
  say "$SECRETS already holds credentials.json and every key pair: nothing to do"
  exit 0
fi

if [ ! -d "$SECRETS" ] || [ ! -w "$SECRETS" ]; then
  say "cannot write to $SECRETS ($(stat -c 'owner %U:%G, mode %a' "$SECRETS" 2>/dev/null ||
    echo 'missing')); it must be a volume writable by $(id -un) (uid $(id -u))"
  exit 2
fi
umask 077
STAGING="$SECRETS/.new"
if [ -n "$(ls -A "$SECRETS")" ]; then
  earlier="$(cat "$SECRETS/credential-ids" "$STAGING/credential-ids" 2>/dev/null | tr '\n' ';')"
  say "$SECRETS holds an incomplete set: making every key and credential anew. Credentials an" \
    "earlier run made stay active until revoked (syncctl credentials revoke ID): ${earlier:-ids unknown}"
fi
rm -rf "$STAGING"
mkdir "$STAGING"
IDS="$STAGING/credential-ids"
: >"$IDS"

for name in $KEYS; do
  /usr/local/bin/synchub-keygen --out "$STAGING/$name" >/dev/null
done

# synchub-migrate --create-credential ... --json prints {"id":N,"role":"...","token":"..."}
# (after migrating, which is a no-op by now). field JSON NAME: one value of it.
field() { echo "$1" | sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",}]*\).*/\1/p"; }
# made JSON ROLE NAME [no-token]: records the credential in credential-ids and prints its token
# (synchub_<id>_<secret>); stops the script when there is none.
made() {
  id="$(field "$1" id)"
  token="$(field "$1" token)"
  case "$id:$token:${4:-}" in
    [0-9]*:synchub_[0-9]*_*:) ;;
    [0-9]*::no-token) ;;
    *) say "synchub-migrate made no credential for $2"; exit 3 ;;
  esac
  echo "$id $2 $3" >>"$IDS"
  printf '%s' "$token"
}

operator="$(/usr/local/bin/synchub-migrate --db "$SYNCHUB_DB" --create-credential operator --name "compose operator" --json)"
operator="$(made "$operator" operator "compose operator")"

reader="$(/usr/local/bin/synchub-migrate --db "$SYNCHUB_DB" --create-credential reader --name "compose reader" --json)"
reader="$(made "$reader" reader "compose reader")"

# The gateway talks to the resolvers with its key alone: a service credential without a token.
gateway_key="$(cat "$STAGING/gateway.pub")"
gateway="$(/usr/local/bin/synchub-migrate --db "$SYNCHUB_DB" --create-credential service --name gateway --no-token --curve-public-key "$gateway_key" --json)"
made "$gateway" service gateway no-token >/dev/null

entries=""
for source in $SOURCES; do
  source_key="$(cat "$STAGING/$(lower "$source").pub")"
  token="$(/usr/local/bin/synchub-migrate --db "$SYNCHUB_DB" --create-credential "source:$source" --name "$source connector" --curve-public-key "$source_key" --json)"
  token="$(made "$token" "source:$source" "$source connector")"
  entries="$entries${entries:+, }\"$source\": \"$token\""
done

printf '{"operator": "%s", "reader": "%s", "sources": {%s}}\n' "$operator" "$reader" "$entries" \
  >"$STAGING/credentials.json"
chmod 0600 "$STAGING/credentials.json" "$IDS"
reader_token_file "$STAGING/credentials.json" "$STAGING/reader.token"

# Into place: the key pairs and the ids first, credentials.json (the mark of a complete set)
# last.
for name in $KEYS; do
  mv -f "$STAGING/$name.key" "$STAGING/$name.pub" "$SECRETS/"
done
mv -f "$IDS" "$SECRETS/credential-ids"
mv -f "$STAGING/reader.token" "$SECRETS/reader.token"
mv -f "$STAGING/credentials.json" "$SECRETS/credentials.json"
rmdir "$STAGING"
say "made the key pairs ($KEYS) and $(wc -l <"$SECRETS/credential-ids") credentials" \
  "(ids in $SECRETS/credential-ids; tokens in $SECRETS/credentials.json)"
