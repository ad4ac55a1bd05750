#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback in a temp folder: `source scripts/pg.sh; pg_start; ...; pg_stop`.
# initdb and the server refuse root, so they run as the unprivileged `postgres` user (Debian creates it).
pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] || d=$(pg_config --bindir 2>/dev/null)
  echo "$d"
}

pg_start() {
  local bin user port
  bin=$(pg_bindir)
  [ -x "$bin/initdb" ] || { echo "no PostgreSQL server binaries found (apt-get install postgresql)" >&2; return 2; }
  user=$(id -un)
  [ "$(id -u)" = 0 ] && user=postgres
  PG_DIR=$(mktemp -d /tmp/biplomacy-pg.XXXXXX)
  chown "$user" "$PG_DIR" 2>/dev/null || true
  chmod 700 "$PG_DIR"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  run_as() { if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
  run_as "$bin/initdb" -D "$PG_DIR/data" -U biplomacy --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  run_as "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=on -c max_connections=200" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
  run_as "$bin/createdb" -h 127.0.0.1 -p "$port" -U biplomacy biplomacy_test
  export PG_BIN="$bin" PG_USER="$user" PG_PORT="$port"
  export BIPLOMACY_TEST_POSTGRES_URL="postgresql+psycopg://biplomacy@127.0.0.1:$port/biplomacy_test"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($PG_DIR)" >&2
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$PG_USER" -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  else
    "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
  PG_DIR=
}
