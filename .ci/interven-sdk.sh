#!/usr/bin/env bash
# Install the published Interven SDK (interven==0.6.1) into its own virtualenv for the gateway
# compatibility tests (its import names must not mix with ours), and point the tests at it.
#
#   source .ci/interven-sdk.sh      # exports INTERVEN_SDK_PYTHON
#   eval "$(.ci/interven-sdk.sh)"

_interven_sdk() {
    local venv="${INTERVEN_SDK_VENV:-${TMPDIR:-/tmp}/interven-sdk-venv}"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" >&2 || return 1
    fi
    "$venv/bin/python" -c "import interven" 2>/dev/null \
        || "$venv/bin/pip" install -q "interven==0.6.1" >&2 || return 1
    export INTERVEN_SDK_PYTHON="$venv/bin/python"
    echo "export INTERVEN_SDK_PYTHON=$INTERVEN_SDK_PYTHON"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    _interven_sdk "$@" >/dev/null
else
    _interven_sdk "$@"
fi
