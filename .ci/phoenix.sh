#!/usr/bin/env bash
# Arize Phoenix for the end-to-end telemetry test (tests/e2e_phoenix), loopback only.
#
#   source .ci/phoenix.sh && phoenix_start    # installs (once) and starts; exports PHOENIX_URL
#                                             # (safe under `set -euo pipefail`)
#   ... run tests ...
#   phoenix_stop                              # stops it by its PID, removes its working dir
#
# or in one go:  bash .ci/phoenix.sh run -- python -m pytest tests/e2e_phoenix -q
#
# Phoenix lives in its OWN virtualenv (it is large and pins many packages), by default
# ~/.cache/interven-autoguard/phoenix-venv, reused when it already has the pinned version.
# It must make no outbound connection: telemetry and external resources are switched off, its
# agent assistant is disabled, it binds 127.0.0.1 only, and it runs with the test suite's socket
# safety net (tests/safetynet.py), which refuses any connect() to a non-loopback address.
# Refused attempts would show in its log; phoenix_stop fails if there are any.

PHOENIX_VERSION="${PHOENIX_VERSION:-20.26.1}"
PHOENIX_VENV="${PHOENIX_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/interven-autoguard/phoenix-venv}"
_PHOENIX_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

_phoenix_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

phoenix_install() {
  if [ -x "$PHOENIX_VENV/bin/python" ] \
      && "$PHOENIX_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('arize-phoenix') != '$PHOENIX_VERSION')" 2>/dev/null; then
    return 0
  fi
  local started=$SECONDS
  echo "phoenix: installing arize-phoenix==$PHOENIX_VERSION into $PHOENIX_VENV"
  rm -rf "$PHOENIX_VENV"
  python3 -m venv "$PHOENIX_VENV"
  "$PHOENIX_VENV/bin/pip" install -q --disable-pip-version-check "arize-phoenix==$PHOENIX_VERSION"
  echo "phoenix: installed in $((SECONDS - started)) s"
}

phoenix_start() {
  phoenix_install || return 1
  PHOENIX_RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/interven-phoenix.XXXXXX")"
  local port grpc_port
  port="$(_phoenix_free_port)"
  grpc_port="$(_phoenix_free_port)"
  while [ "$grpc_port" = "$port" ]; do grpc_port="$(_phoenix_free_port)"; done
  (
    cd "$PHOENIX_RUN_DIR" || exit 1
    exec env \
      PHOENIX_HOST=127.0.0.1 \
      PHOENIX_PORT="$port" \
      PHOENIX_GRPC_PORT="$grpc_port" \
      PHOENIX_WORKING_DIR="$PHOENIX_RUN_DIR/work" \
      PHOENIX_TELEMETRY_ENABLED=false \
      PHOENIX_ALLOW_EXTERNAL_RESOURCES=false \
      PHOENIX_DISABLE_AGENT_ASSISTANT=true \
      PHOENIX_AGENTS_DISABLE_WEB_ACCESS=true \
      PYTHONPATH="$_PHOENIX_REPO/tests" \
      "$PHOENIX_VENV/bin/python" -c \
        'import safetynet, sys; safetynet.install(); sys.argv = ["phoenix", "serve"]
from phoenix.server.main import main
sys.exit(main())' \
      >"$PHOENIX_RUN_DIR/phoenix.log" 2>&1
  ) &
  PHOENIX_PID=$!
  export PHOENIX_PID PHOENIX_RUN_DIR
  local started=$SECONDS
  until python3 -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=2)" 2>/dev/null; do
    if ! kill -0 "$PHOENIX_PID" 2>/dev/null; then
      echo "phoenix: exited during start-up; log:" >&2
      tail -n 40 "$PHOENIX_RUN_DIR/phoenix.log" >&2
      return 1
    fi
    if [ $((SECONDS - started)) -gt 180 ]; then
      echo "phoenix: not healthy after 180 s; log:" >&2
      tail -n 40 "$PHOENIX_RUN_DIR/phoenix.log" >&2
      phoenix_stop
      return 1
    fi
    sleep 0.5
  done
  export PHOENIX_URL="http://127.0.0.1:$port"
  echo "phoenix: healthy at $PHOENIX_URL (pid $PHOENIX_PID, grpc $grpc_port) after $((SECONDS - started)) s"
}

phoenix_stop() {
  local status=0
  if [ -n "${PHOENIX_PID:-}" ] && kill -0 "$PHOENIX_PID" 2>/dev/null; then
    kill -TERM "$PHOENIX_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$PHOENIX_PID" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$PHOENIX_PID" 2>/dev/null; then kill -KILL "$PHOENIX_PID" 2>/dev/null || true; fi
    wait "$PHOENIX_PID" 2>/dev/null || true  # its status is the signal's, not ours
  fi
  if [ -n "${PHOENIX_RUN_DIR:-}" ] && [ -d "$PHOENIX_RUN_DIR" ]; then
    if grep -q "safety net: refusing" "$PHOENIX_RUN_DIR/phoenix.log" 2>/dev/null; then
      echo "phoenix: tried to connect outside loopback:" >&2
      grep "safety net: refusing" "$PHOENIX_RUN_DIR/phoenix.log" | head -n 5 >&2
      status=1
    fi
    rm -rf "$PHOENIX_RUN_DIR"
  fi
  unset PHOENIX_PID PHOENIX_URL PHOENIX_RUN_DIR
  return $status
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  case "${1:-}" in
    install) phoenix_install ;;
    run)
      shift
      [ "${1:-}" = "--" ] && shift
      phoenix_start || exit 1
      trap phoenix_stop EXIT
      "$@"
      rc=$?
      trap - EXIT
      phoenix_stop || rc=1
      exit $rc
      ;;
    *) echo "usage: bash .ci/phoenix.sh install | run -- COMMAND [ARGS...]  (or source it)" >&2; exit 2 ;;
  esac
fi
