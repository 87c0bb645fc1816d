"""``python -m interven_autoguard approvals list|show|approve|deny|watch|purge|serve``.

Works from any terminal against the same store the agents use (``--db`` or
``$INTERVEN_APPROVALS_DB``, else the user's state directory).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import socket
import sys
import time
from pathlib import Path
from typing import TextIO

from ..errors import ConfigurationError
from . import display
from .store import (
    ENV_DB,
    PENDING,
    STATES,
    ApprovalError,
    ApprovalRecord,
    SQLiteApprovalStore,
    default_db_path,
)

PROG = display.PROG
ENV_TOKEN = "INTERVEN_APPROVALS_TOKEN"
DEFAULT_PORT = 4100
WATCH_INTERVAL = 0.5


def _default_approver() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, got {port}")
    return port


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        help="approvals database (default: $INTERVEN_APPROVALS_DB "
        "or ~/.local/state/interven-autoguard/approvals.sqlite3)",
    )
    parser = argparse.ArgumentParser(prog=PROG, description="Decide on requests held for human approval.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", parents=[common], help="list approvals (pending ones by default)")
    p.add_argument("--state", choices=STATES, help="only this state")
    p.add_argument("--all", action="store_true", help="every state, newest first")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("show", parents=[common], help="show one approval with its masked request")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("approve", parents=[common], help="release a held request")
    p.add_argument("id")
    p.add_argument("--reason", help="why (kept in the record)")
    p.add_argument("--by", default=None, help="who approves (default: user@host)")

    p = sub.add_parser("deny", parents=[common], help="refuse a held request (the agent gets RequestBlocked)")
    p.add_argument("id")
    p.add_argument("--reason", required=True, help="why (kept in the record)")
    p.add_argument("--by", default=None, help="who denies (default: user@host)")

    p = sub.add_parser("watch", parents=[common], help="print new requests and decisions as they happen")
    p.add_argument("--interval", type=float, default=WATCH_INTERVAL, help=argparse.SUPPRESS)

    p = sub.add_parser("purge", parents=[common], help="delete decided approvals older than N days")
    p.add_argument("--older-than", type=float, required=True, metavar="DAYS", help="age in days (0 = all)")

    p = sub.add_parser("serve", parents=[common], help="local web page to approve or deny")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any)")
    p.add_argument("--token", default=None, help=f"access token (default: ${ENV_TOKEN} or a random one)")
    return parser


def _print(text: str, out: TextIO) -> None:
    out.write(text + "\n")
    out.flush()


def _cmd_list(store: SQLiteApprovalStore, args: argparse.Namespace, out: TextIO) -> int:
    state = None if args.all else (args.state or PENDING)
    records = store.list(state=state, limit=args.limit)
    if args.json:
        _print(json.dumps([r.to_dict() for r in records], indent=2), out)
        return 0
    if not records:
        _print(f"no {state or ''} approvals".replace("  ", " "), out)
        return 0
    now = time.time()
    for record in records:
        _print(display.one_line(record, now), out)
    return 0


def _get(store: SQLiteApprovalStore, approval_id: str) -> ApprovalRecord:
    record = store.get(approval_id)
    if record is None:
        raise ApprovalError(f"no approval with id {approval_id!r} in {store.path}")
    return record


def _cmd_show(store: SQLiteApprovalStore, args: argparse.Namespace, out: TextIO) -> int:
    record = _get(store, args.id)
    _print(json.dumps(record.to_dict(), indent=2) if args.json else display.details(record), out)
    return 0


def _cmd_decide(store: SQLiteApprovalStore, args: argparse.Namespace, out: TextIO) -> int:
    approve = args.command == "approve"
    if not approve and not (args.reason or "").strip():
        raise ApprovalError("deny needs a non-empty --reason")
    record = store.decide(
        args.id, approve=approve, decided_by=args.by or _default_approver(), reason=args.reason
    )
    _print(
        f"{record.id} {record.state} by {display.printable(record.decided_by)}: "
        f"{display.printable(record.method)} {display.printable(record.url)}",
        out,
    )
    return 0


def _cmd_watch(store: SQLiteApprovalStore, args: argparse.Namespace, out: TextIO) -> int:
    _print(f"watching {store.path} for approval requests (Ctrl-C to stop)", out)
    seen: dict[str, str] = {}
    first = True
    try:
        while True:
            now = time.time()
            for record in reversed(store.list(limit=500)):  # oldest first
                before = seen.get(record.id)
                if before == record.state:
                    continue
                seen[record.id] = record.state
                if before is None and record.state == PENDING:
                    _print(f"NEW      {display.one_line(record, now)}", out)
                    _print("         " + display.decide_commands(record.id, store.path), out)
                elif not first:
                    _print(f"{record.state.upper():<8} {display.one_line(record, now)}", out)
            first = False
            time.sleep(max(0.05, args.interval))
    except KeyboardInterrupt:
        return 0


def _cmd_purge(store: SQLiteApprovalStore, args: argparse.Namespace, out: TextIO) -> int:
    deleted = store.purge(older_than=args.older_than * 86400)
    _print(
        f"deleted {deleted} decided approval(s) older than {args.older_than:g} day(s); pending ones are kept",
        out,
    )
    return 0


def _cmd_serve(store: SQLiteApprovalStore, args: argparse.Namespace, out: TextIO) -> int:
    from .web import ApprovalsWebApp, make_server

    token = args.token or os.environ.get(ENV_TOKEN) or secrets.token_urlsafe(24)
    app = ApprovalsWebApp(store, token=token)
    try:
        server = make_server(app, host=args.host, port=args.port)
    except OSError as exc:
        raise ApprovalError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    if not app.loopback_only(str(host)):
        _print(
            f"warning: listening on {host}, not loopback: anyone who can reach it and learns the "
            "token can decide, and plain HTTP does not protect the token on the network",
            sys.stderr,
        )
    _print(f"approvals page for {store.path}", out)
    _print(f"open: http://{shown}:{port}/?token={token}", out)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


_COMMANDS = {
    "list": _cmd_list,
    "show": _cmd_show,
    "approve": _cmd_decide,
    "deny": _cmd_decide,
    "watch": _cmd_watch,
    "purge": _cmd_purge,
    "serve": _cmd_serve,
}


# Commands that only read or decide existing records: on a database that does not exist they say
# so, rather than create an empty one (a mistyped --db would look like an empty queue). ``watch`` and
# ``serve`` wait for requests to come, so they may start first; they say which file they watch.
_NEEDS_EXISTING = frozenset({"list", "show", "approve", "deny", "purge"})


def _existing(db: str | None) -> str | None:
    path = Path(db).expanduser() if db else default_db_path()
    if not path.exists():
        raise ApprovalError(
            f"no approvals database at {path}: check --db (or ${ENV_DB}; the agent's value is what "
            "counts), or wait until an agent has held a request there"
        )
    return db


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    out = sys.stdout
    try:
        if args.command in _NEEDS_EXISTING:
            _existing(args.db)
        else:
            path = Path(args.db).expanduser() if args.db else default_db_path()
            if not path.exists():
                _print(f"note: no approvals database at {path} yet: created an empty one; an agent "
                       f"must use the same path (--db / ${ENV_DB}) for its requests to show here", sys.stderr)
        store = SQLiteApprovalStore(args.db)
        return _COMMANDS[args.command](store, args, out)
    except (ApprovalError, ConfigurationError, ValueError) as exc:
        _print(f"error: {display.printable(exc)}", sys.stderr)
        return 1
    except BrokenPipeError:  # `approvals list | head`: the reader has what it wanted
        # Point stdout at nothing, so the interpreter's own flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
