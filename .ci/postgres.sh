# Sourced by .ci/run: a throwaway PostgreSQL 15 on 127.0.0.1 for the integration tests against a real
# server. Installs postgresql-15 when missing (as root), creates a cluster in a temp folder owned by
# the postgres user, starts it bound to 127.0.0.1 only, creates a role and a database, exports
# DATABASE_URL, and stops the server and removes the folder on exit.
PG_PORT="${PG_PORT:-5432}"
PG_BIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PG_BIN/pg_ctl" ]; then
  apt-get update && apt-get install -y postgresql-15
fi
PG_DIR="$(mktemp -d /tmp/ci-postgres.XXXXXX)"
chown postgres: "$PG_DIR"
pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_postgres() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop_postgres EXIT
pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR" start
pg_as "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE ROLE plasticity LOGIN PASSWORD 'plasticity'" -c "CREATE DATABASE plasticity OWNER plasticity"
export DATABASE_URL="postgres://plasticity:plasticity@127.0.0.1:$PG_PORT/plasticity"
# How the fault test restarts this server in the middle of a stream of writes.
if [ "$(id -u)" = 0 ]; then PG_AS="runuser -u postgres --"; else PG_AS=""; fi
export DATABASE_RESTART="$PG_AS $PG_BIN/pg_ctl -D $PG_DIR/data -l $PG_DIR/log -m fast -w restart"
echo "PostgreSQL 15 for the integration tests: $DATABASE_URL"
