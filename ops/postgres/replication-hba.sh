#!/bin/sh
# docker-compose: lets the replica service stream WAL from the primary as the application user (password checked).
set -e
echo "host replication narrative all scram-sha-256" >> "$PGDATA/pg_hba.conf"
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "alter user narrative replication"
