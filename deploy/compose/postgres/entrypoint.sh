#!/bin/sh
# Makes the cluster on first start (user botmoon, password from POSTGRES_PASSWORD, database botmoon), then runs it.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
  secret="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$secret"
  initdb -D "$PGDATA" -U botmoon --pwfile="$secret" -E UTF8 --auth-local=trust --auth-host=scram-sha-256
  rm -f "$secret"
  printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  echo "CREATE DATABASE botmoon" | postgres --single -D "$PGDATA" postgres >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp \
  -c max_connections="${POSTGRES_MAX_CONNECTIONS:-100}"
