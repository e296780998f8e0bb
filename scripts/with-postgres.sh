#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL cluster on a loopback port.
# Sets TEST_DATABASE_URL for the command; the cluster is stopped and removed however it ends.
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ]; then
  echo "PostgreSQL is not installed (apt-get install -y postgresql)" >&2
  exit 1
fi
port=${PGTEST_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
dir=$(mktemp -d /tmp/induction-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" = "0" ]; then
  # initdb refuses to run as root; the cluster belongs to the postgres user.
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" postgres
  chown postgres "$dir"
  as_pg=(runuser -u postgres --)
fi

stop() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT INT TERM

"${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U induction --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -w -l "$dir/log" \
  -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U induction induction_test
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

export TEST_DATABASE_URL="postgresql+psycopg://induction@127.0.0.1:$port/induction_test"
"$@"
