#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests of the PostgreSQL store.
#
#   eval "$(bash scripts/postgres-test-cluster.sh start)"   # prints export lines
#   bash scripts/postgres-test-cluster.sh stop "$SERVICE_TOOLKIT_TEST_CLUSTER"
#
# start installs Debian's PostgreSQL when no server binaries are found (apt-get, as
# scripts/install-chromium.sh does for Chromium), makes a cluster in a new temporary
# directory owned by an unprivileged user (the server refuses to run as root: under root
# it runs as the "postgres" user, made if missing), listening on a free loopback port only,
# with password (SCRAM) sign-in, and a database for the tests. It prints the lines that
# export SERVICE_TOOLKIT_TEST_POSTGRES (the URL, no password in it), PGPASSWORD and
# SERVICE_TOOLKIT_TEST_CLUSTER (the directory, for stop), and exits 0 only then: when any
# step fails (or it is interrupted) it stops the server it started, deletes the directory
# and exits non-zero, printing nothing to evaluate. stop stops the server and deletes the
# directory.
set -euo pipefail

find_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then
    echo "$found"
  fi
}

as_owner() {  # run a command as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$OWNER" -- "$@"
  else
    "$@"
  fi
}

STARTING=""  # the directory of a start under way, undone by undo_start unless it finished

undo_start() {  # the EXIT trap of start: stop the server it started and delete its directory
  local status=$?
  [ -n "$STARTING" ] || return 0
  if [ -f "$STARTING/data/postmaster.pid" ]; then
    as_owner "$BINDIR/pg_ctl" -D "$STARTING/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$STARTING"
  echo "The test cluster did not start (exit status $status); what it had made is removed." >&2
}

start() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  BINDIR=$(find_bindir)
  if [ -z "$BINDIR" ]; then
    echo "Installing PostgreSQL for the PostgreSQL store's tests (apt-get install postgresql)…" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    BINDIR=$(find_bindir)
    [ -n "$BINDIR" ] || { echo "PostgreSQL was installed but initdb was not found" >&2; exit 1; }
  fi
  OWNER=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    OWNER=postgres
    if ! id "$OWNER" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$OWNER"
    fi
  fi
  local dir port password
  dir=$(mktemp -d "${TMPDIR:-/tmp}/toolkit-pg.XXXXXX")
  STARTING=$dir
  trap undo_start EXIT
  trap 'exit 130' INT TERM HUP
  chmod 700 "$dir"
  [ "$(id -u)" -eq 0 ] && chown "$OWNER" "$dir"
  password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
  printf '%s\n' "$password" >"$dir/pwfile"
  [ "$(id -u)" -eq 0 ] && chown "$OWNER" "$dir/pwfile"
  # (in subshells: a redirection of a function call is the shell's own while it runs, so
  # undo_start, run on a signal, would write into the log it deletes)
  (as_owner "$BINDIR/initdb" -D "$dir/data" -U toolkit --pwfile="$dir/pwfile" \
    --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8) >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$dir/pwfile"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (as_owner "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=on" \
    start) >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  PGPASSWORD="$password" "$BINDIR/createdb" -h 127.0.0.1 -p "$port" -U toolkit toolkit_test
  printf '%s\n' \
    "export SERVICE_TOOLKIT_TEST_POSTGRES=postgresql://toolkit@127.0.0.1:$port/toolkit_test" \
    "export PGPASSWORD=$password" \
    "export SERVICE_TOOLKIT_TEST_CLUSTER=$dir"
  STARTING=""  # finished: the caller stops it
  echo "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') for the tests on 127.0.0.1:$port ($dir)" >&2
}

stop() {
  local dir="${1:-${SERVICE_TOOLKIT_TEST_CLUSTER:-}}"
  [ -n "$dir" ] && [ -d "$dir/data" ] || { echo "no test cluster at '$dir'" >&2; exit 1; }
  BINDIR=$(find_bindir)
  OWNER=$(stat -c %U "$dir/data")
  as_owner "$BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
