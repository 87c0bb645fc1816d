"""``python -m interven_autoguard policy check FILE... | show [FILE]``.

``check`` prints ``FILE:LINE: message`` per problem (the form editors and CI logs link to) and
exits 1 if any file is invalid; ``show`` prints the effective policy (defaults merged in) as JSON
with its version.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from ..errors import PolicyError
from .policy import Policy, check_file, format_errors


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="interven-autoguard policy")
    sub = parser.add_subparsers(dest="policy_command", required=True)
    check = sub.add_parser("check", help="validate policy files; errors carry line numbers")
    check.add_argument("files", nargs="+", metavar="FILE")
    show = sub.add_parser("show", help="print the effective policy (default merged in) as JSON")
    show.add_argument("file", nargs="?", metavar="FILE",
                      help="policy file (default: $INTERVEN_POLICY or the built-in default)")
    return parser


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    if args.policy_command == "check":
        status = 0
        for path in args.files:
            errors = check_file(path)
            if errors:
                status = 1
                print(format_errors(path, errors), file=err)
            else:
                print(f"{path}: OK (version {Policy.load(path).version})", file=out)
        return status
    try:
        policy = Policy.load(args.file)
    except PolicyError as exc:
        print(format_errors(args.file or "policy", exc.errors) or str(exc), file=err)
        return 1
    doc = {"version": policy.version, "source": policy.source, **policy.to_dict()}
    print(json.dumps(doc, indent=2), file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except BrokenPipeError:  # `policy show | head`: the reader has what it wanted
        # Point stdout at nothing, so the interpreter's own flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess in the tests
    sys.exit(main())
