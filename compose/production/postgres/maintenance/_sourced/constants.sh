#!/usr/bin/env bash
# Sourced by backup, backups and restore: where backups live and how they are named.
#
# A backup is one file, a compressed pg_dump custom-format archive (pg_dump -Fc), named
# backup_YYYY_MM_DDTHH_MM_SS.dump after the UTC time it was taken, for example
# backup_2026_11_22T16_45_00.dump. Names sort in time order.

# Folder of the backups (in the postgres container: the production_postgres_data_backups volume).
BACKUP_DIR="${BACKUP_DIR:-/backups}"
BACKUP_FILE_PREFIX="backup"
BACKUP_FILE_SUFFIX=".dump"
