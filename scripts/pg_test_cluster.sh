#!/usr/bin/env bash
# Makes sure a local PostgreSQL is running for the test suite and prints an admin URL for it.
# Installs Debian's postgresql when missing, starts the cluster with pg_ctlcluster, and creates
# the role `erpai` (the tests create and drop throw-away databases with it).
set -euo pipefail
log() { echo "$@" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  log "installing postgresql (apt-get)…"
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -q "^$version main$"; then
  as_root pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
  as_root pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
for _ in $(seq 1 30); do
  as_root su postgres -c "pg_isready -q -p $port" && break
  sleep 1
done
as_root su postgres -c "psql -q -p $port -v ON_ERROR_STOP=1" >&2 <<'SQL'
DO $$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'erpai') THEN
    CREATE ROLE erpai LOGIN SUPERUSER PASSWORD 'erpai';
  END IF;
END$$;
SQL
echo "postgresql+psycopg://erpai:erpai@127.0.0.1:${port}/postgres"
