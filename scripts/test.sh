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
