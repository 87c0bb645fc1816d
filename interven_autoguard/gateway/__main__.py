"""``python -m interven_autoguard.gateway serve|new-key|hash-key`` (the CLI wires ``serve`` too)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "serve":
        from .server import main as serve

        return serve(args[1:])
    parser = argparse.ArgumentParser(prog="python -m interven_autoguard.gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the gateway (see serve --help)")
    new = sub.add_parser("new-key", help="generate an API key or approver token and print it with its hash")
    new.add_argument("--prefix", default="iv_live_")
    sub.add_parser("hash-key", help="read a key from stdin (or a prompt) and print its hash for the config")
    ns = parser.parse_args(args)
    from .config import hash_secret, new_api_key

    if ns.command == "new-key":
        key = new_api_key(ns.prefix)
        print(f"key:  {key}\nhash: {hash_secret(key)}")
        return 0
    value = getpass.getpass("key: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    if not value:
        print("no key given", file=sys.stderr)
        return 2
    print(hash_secret(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
