#!/usr/bin/env bash
# Sourced by backup and restore: the connection to PostgreSQL, from the POSTGRES_* variables
# (the same ones as in .envs/.production/.postgres). Needs messages.sh.
#
#   POSTGRES_HOST, POSTGRES_DB, POSTGRES_USER   required
#   POSTGRES_PORT                               default 5432
#   POSTGRES_PASSWORD                           optional (empty: trust auth, PGPASSWORD or ~/.pgpass)
#   POSTGRES_MAINTENANCE_DB                     database restore connects to while it creates,
#                                               renames and drops databases; default postgres

# Check the variables and export them as libpq's PG* variables, which pg_dump, pg_restore
# and psql read. Exits with a message naming what is missing.
postgres_connection_setup() {
  local missing=() name
  for name in POSTGRES_HOST POSTGRES_DB POSTGRES_USER; do
    if [[ -z "${!name:-}" ]]; then
      missing+=("${name}")
    fi
  done
  if ((${#missing[@]} > 0)); then
    die "Set ${missing[*]} (see .envs/.production/.postgres.example); nothing was done."
  fi
  export PGHOST="${POSTGRES_HOST}"
  export PGPORT="${POSTGRES_PORT:-5432}"
  export PGUSER="${POSTGRES_USER}"
  if [[ -n "${POSTGRES_PASSWORD:-}" ]]; then
    export PGPASSWORD="${POSTGRES_PASSWORD}"
  fi
  # Every database is named on the command line; a stray PGDATABASE must not redirect one.
  unset PGDATABASE
  POSTGRES_MAINTENANCE_DB="${POSTGRES_MAINTENANCE_DB:-postgres}"
}

# psql that never prompts, stops at the first error and prints bare values.
# Usage: pg_psql DATABASE [psql options...]  (SQL on standard input, psql variables with -v)
pg_psql() {
  local database="$1"
  shift
  psql --no-psqlrc --no-password --quiet --tuples-only --no-align \
    --set ON_ERROR_STOP=1 --dbname="${database}" "$@"
}
