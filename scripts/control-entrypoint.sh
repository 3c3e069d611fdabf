#!/usr/bin/env bash
# Starts the control plane in its container: .dev.vars from the environment, migrations, then wrangler dev on :8080.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${ORCH_DATA_DIR:-/data}
export WRANGLER_SEND_METRICS=false
# No trace store of request URLs on the volume, and no Local Explorer serving the database.
export X_LOCAL_OBSERVABILITY=false X_LOCAL_EXPLORER=false

# Without a key from .env, one is generated once and kept on the data volume: losing it makes
# stored credentials unreadable, so it must survive container restarts.
master_key=${ORCH_MASTER_KEY:-}
if [ -z "$master_key" ]; then
  key_file="$data/master-key"
  if [ ! -s "$key_file" ]; then
    (umask 077 && node --input-type=module \
      -e 'import { generateFernetKey } from "./control/src/crypto/fernet.ts"; process.stdout.write(generateFernetKey());' \
      > "$key_file.tmp")
    mv "$key_file.tmp" "$key_file"
    echo "control: ORCH_MASTER_KEY is not set; generated one into $key_file on the data volume. Back it up, or set it in .env." >&2
  fi
  master_key=$(cat "$key_file")
fi

# wrangler dev reads the Worker's secrets from .dev.vars only.
write_var() {
  case "$2" in
    *'"'* | *$'\n'*) echo "control: $1 must not contain a double quote or a newline" >&2; exit 1 ;;
  esac
  printf '%s="%s"\n' "$1" "$2"
}
(
  umask 077
  {
    write_var ORCH_MASTER_KEY "$master_key"
    if [ -n "${ORCH_DEFAULT_ADMIN_KEY:-}" ]; then write_var ORCH_DEFAULT_ADMIN_KEY "$ORCH_DEFAULT_ADMIN_KEY"; fi
    if [ -n "${ORCH_MAX_BODY_BYTES:-}" ]; then write_var ORCH_MAX_BODY_BYTES "$ORCH_MAX_BODY_BYTES"; fi
    if [ -n "${ORCH_LEASE_SECONDS:-}" ]; then write_var ORCH_LEASE_SECONDS "$ORCH_LEASE_SECONDS"; fi
    if [ -n "${ORCH_MAX_ARTIFACT_BYTES:-}" ]; then write_var ORCH_MAX_ARTIFACT_BYTES "$ORCH_MAX_ARTIFACT_BYTES"; fi
    if [ -n "${ORCH_LOG_RETENTION_DAYS:-}" ]; then write_var ORCH_LOG_RETENTION_DAYS "$ORCH_LOG_RETENTION_DAYS"; fi
    if [ -n "${ORCH_WORKER_HEARTBEAT_TIMEOUT:-}" ]; then write_var ORCH_WORKER_HEARTBEAT_TIMEOUT "$ORCH_WORKER_HEARTBEAT_TIMEOUT"; fi
    if [ -n "${ORCH_BACKSTOP_GRACE_SECONDS:-}" ]; then write_var ORCH_BACKSTOP_GRACE_SECONDS "$ORCH_BACKSTOP_GRACE_SECONDS"; fi
  } > .dev.vars
)

node scripts/check-config.ts
CI=true node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$data"
exec node_modules/.bin/wrangler dev --ip 0.0.0.0 --port 8080 --persist-to "$data"
