#!/usr/bin/env bash
# The one test command: installs what the tests need on a fresh machine, then runs every test.
# Used as-is by .ci/run. Exit 5 from pytest ("no tests ran") is turned into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium for the browser tests"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi

echo "== installing Python test dependencies"
python -m pip install -q --disable-pip-version-check -r requirements-dev.txt

# LLMock, the third-party OpenAI/Anthropic mock server of tests/providers/test_third_party_server.py,
# lives in its own virtual environment: its FastAPI/pydantic pins must not move ours.
LLMOCK_VENV="${STREAMCHAT_LLMOCK_VENV:-$HOME/.cache/streamchat/llmock-venv}"
if [ ! -x "$LLMOCK_VENV/bin/llmock" ]; then
  echo "== installing LLMock (third-party mock server) in $LLMOCK_VENV"
  python -m venv "$LLMOCK_VENV"
  "$LLMOCK_VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-llmock.txt
fi
export STREAMCHAT_LLMOCK="$LLMOCK_VENV/bin/llmock"

echo "== ruff check + ruff format --check + mypy --strict (chat_core, ui, app pages)"
python -m ruff check .
python -m ruff format --check .
python -m mypy --strict chat_core ui app.py app_pages

# == PostgreSQL (and nginx) for the store tests: tests/store run on SQLite and on this server ==
# Debian's postgresql package, a throwaway cluster on a free port under a temp dir, run as the
# unprivileged "postgres" user when we are root (CI is), stopped and removed at exit. An
# already exported STREAMCHAT_TEST_DATABASE_URL (any server where we may CREATE DATABASE) wins.
pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "== installing Debian's nginx for the replicas test (deploy/nginx.conf)"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
fi
if [ -z "${STREAMCHAT_TEST_DATABASE_URL:-}" ]; then
  if [ -z "$(pg_bin_dir)" ]; then
    echo "== installing Debian's postgresql for the store tests"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql postgresql-contrib >/dev/null
  fi
  PG_BIN="$(pg_bin_dir)"
  PG_DIR="$(mktemp -d /tmp/streamchat-pg.XXXXXX)"
  PG_PORT="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  PG_AS=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PG_DIR"
    PG_AS=(runuser -u postgres --)
  fi
  pg_stop() {
    (cd / && "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1) || true
    rm -rf "$PG_DIR"
  }
  trap pg_stop EXIT
  echo "== starting a throwaway PostgreSQL ($("$PG_BIN/postgres" --version)) on 127.0.0.1:$PG_PORT"
  (cd / && "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U streamchat -A trust -E UTF8 --no-sync >/dev/null)
  (cd / && "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
    start >/dev/null)
  export STREAMCHAT_TEST_DATABASE_URL="postgresql+psycopg://streamchat@127.0.0.1:$PG_PORT/postgres"
fi

echo "== pytest"
set +e
python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing the run" >&2
  exit 1
fi
exit "$rc"
