#!/usr/bin/env bash
# Starts the local MariaDB and PostgreSQL servers the database tests use, if they are down.
# Safe to run repeatedly. Servers elsewhere: set DEVLAKE_TEST_MYSQL_URL / DEVLAKE_TEST_POSTGRES_URL.
set -u

mysql_up() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

wait_for() { # name check
  for _ in $(seq 1 60); do "$2" && return 0; sleep 0.5; done
  echo "services: $1 did not come up on 127.0.0.1" >&2
  return 1
}

status=0
if ! mysql_up; then
  if [ -x /usr/sbin/mariadbd ]; then
    echo "services: starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    wait_for MariaDB mysql_up || status=1
  else
    echo "services: MariaDB is not installed (/usr/sbin/mariadbd); its tests will skip or, under CI=true, fail" >&2
    status=1
  fi
fi
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    wait_for PostgreSQL pg_up || status=1
  else
    echo "services: PostgreSQL is not installed; its tests will skip or, under CI=true, fail" >&2
    status=1
  fi
fi
exit $status
