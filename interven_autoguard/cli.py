"""``python -m interven_autoguard``: scan, policy check, run, approvals, serve."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from typing import Any

from .errors import AutoguardError

# Subcommands implemented in their own modules; each exposes ``main(argv) -> int``.
_DELEGATED = {
    "run": ("interven_autoguard.runner", "guard an agent: run [options] agent.py [args...]"),
    "approvals": ("interven_autoguard.approvals.cli", "list, show, approve, deny, watch or serve approvals"),
    "serve": ("interven_autoguard.gateway.server", "run the self-hosted Interven-protocol gateway"),
    "policy": ("interven_autoguard.engine.policy_cli", "policy check FILE... | policy show [FILE]"),
}


def _parse_header(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition(":")
    if not sep or not name.strip():
        # Never echo the argument: it may be a credential typed without its colon.
        raise argparse.ArgumentTypeError("header must look like 'Name: value' (the value is not shown)")
    return name.strip(), value.strip()


# Exit status of ``scan`` per decision, so a script or CI step can act on it (2 stays "error").
SCAN_EXIT_CODES = {"ALLOW": 0, "SANITIZE": 3, "REQUIRE_APPROVAL": 4, "DENY": 5}
_SCAN_EPILOG = (
    "A dry run: nothing is sent and no approval is requested (REQUIRE_APPROVAL only says one would "
    "be needed). Exit status: 0 ALLOW, 3 SANITIZE, 4 REQUIRE_APPROVAL, 5 DENY, 2 error."
)


def _scan_parser(sub: Any) -> None:
    p = sub.add_parser("scan", help="decide on one request without sending it; prints JSON",
                       description="Decide on one request without sending it.", epilog=_SCAN_EPILOG)
    p.add_argument("--method", default="GET")
    p.add_argument("--url", required=True)
    p.add_argument("--header", "-H", action="append", default=[], type=_parse_header, metavar="'K: V'")
    body = p.add_mutually_exclusive_group()
    body.add_argument("--body", help="request body: JSON (sent as a JSON object) or plain text")
    body.add_argument("--body-file", help="read the body from a file (bytes, as sent); '-' for stdin")
    p.add_argument("--policy", help="policy TOML file (default: built-in policy or $INTERVEN_POLICY)")
    p.add_argument("--explain", action="store_true", help="print a table of findings instead of JSON")


def _read_body(args: argparse.Namespace) -> Any:
    if args.body_file:
        if args.body_file == "-":
            return sys.stdin.buffer.read()
        with open(args.body_file, "rb") as fh:
            return fh.read()
    if args.body is None:
        return None
    try:
        return json.loads(args.body)
    except ValueError:
        return args.body


def _cmd_scan(args: argparse.Namespace) -> int:
    from .api import scan
    from .scanner import approvals_off

    with approvals_off():  # a dry run: never put a request in front of the approvers
        result = scan(
            method=args.method,
            url=args.url,
            body=_read_body(args),
            headers=args.header or None,
            policy=args.policy,
        )
    if args.explain:
        print(_explain(result))
    else:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    return SCAN_EXIT_CODES.get(str(result.decision), SCAN_EXIT_CODES["DENY"])


def _explain(result: Any) -> str:
    lines = [
        f"decision:     {result.decision}",
        f"reason codes: {', '.join(result.reason_codes) or '-'}",
        f"risk:         {result.risk_score:.2f} ({result.risk_band})",
    ]
    if result.matched_rules:
        lines.append(f"rules:        {', '.join(result.matched_rules)}")
    if result.decision == "REQUIRE_APPROVAL":
        lines.append("approval:     would need approval (dry run: none requested)")
    if not result.findings:
        lines.append("findings:     none")
        return "\n".join(lines)
    rows = [("TYPE", "LOCATION", "DETECTOR", "ENCODING", "HASH")]
    rows += [
        (f.type, f"{f.location}[{f.start}:{f.end}]", f.detector, f.encoding or "-", f.value_hash)
        for f in result.findings
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines.append("findings:")
    lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in _DELEGATED:
        module = importlib.import_module(_DELEGATED[argv[0]][0])
        return int(module.main(argv[1:]) or 0)
    parser = argparse.ArgumentParser(
        prog="python -m interven_autoguard", description="In-process firewall for AI agents."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _scan_parser(sub)
    for name, (_module, help_text) in _DELEGATED.items():
        sub.add_parser(name, help=help_text, add_help=False)
    args = parser.parse_args(argv)
    handler = {"scan": _cmd_scan}.get(args.command)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except AutoguardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
