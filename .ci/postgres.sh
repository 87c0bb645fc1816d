#!/usr/bin/env bash
# Start a throw-away PostgreSQL on 127.0.0.1 for the gateway storage tests.
#
#   source .ci/postgres.sh          # starts it and exports INTERVEN_TEST_PG_URL (+ INTERVEN_TEST_PG_DIR)
#   eval "$(.ci/postgres.sh)"       # the same from a script
#   .ci/postgres.sh stop            # stops the cluster named by INTERVEN_TEST_PG_DIR and removes it
#
# Installs the distribution's postgresql package if no server binaries are present. The cluster
# lives in a temporary directory, listens on loopback only and uses "trust" auth, which is fine for
# a cluster nobody else can reach and that is deleted after the run.

_interven_pg() {
    local bin dir port user
    local -a run=()
    if [ "$(id -u)" = 0 ]; then
        run=(runuser -u postgres --)
        user=postgres
    else
        user=$(id -un)
    fi
    if [ "${1:-}" = "stop" ]; then
        [ -n "${INTERVEN_TEST_PG_DIR:-}" ] || { echo "INTERVEN_TEST_PG_DIR is not set" >&2; return 1; }
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
        "${run[@]}" "$bin/pg_ctl" -D "$INTERVEN_TEST_PG_DIR/data" -m fast -w stop >/dev/null
        rm -rf "$INTERVEN_TEST_PG_DIR"
        return 0
    fi
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo"
        { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql; } >&2 \
            || return 1
    fi
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    dir=$(mktemp -d /tmp/interven-pg.XXXXXX) || return 1
    port=${INTERVEN_TEST_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    "${run[@]}" "$bin/initdb" -D "$dir/data" -A trust -U "$user" >/dev/null || return 1
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
    "${run[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$user" interven_test || return 1
    export INTERVEN_TEST_PG_URL="postgresql://$user@127.0.0.1:$port/interven_test"
    export INTERVEN_TEST_PG_DIR="$dir"
    echo "export INTERVEN_TEST_PG_URL=$INTERVEN_TEST_PG_URL"
    echo "export INTERVEN_TEST_PG_DIR=$INTERVEN_TEST_PG_DIR"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    _interven_pg "$@" >/dev/null
else
    _interven_pg "$@"
fi
