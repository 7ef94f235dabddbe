#!/bin/sh
# The read replica: on first start, a base backup of the primary with its own replication slot
# (-R writes primary_conninfo and standby.signal); then a hot standby that streams from the primary.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h db -U replicator -d postgres; do sleep 1; done
  export PGPASSWORD="$REPLICATION_PASSWORD"
  pg_basebackup -h db -U replicator -D "$PGDATA" -R -X stream -C -S replica1 --no-password
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
