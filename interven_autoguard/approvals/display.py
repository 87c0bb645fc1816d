"""Text shown to approvers: times, durations, and request fields made safe for a terminal.

The request fields come from the agent's side (URL, headers, body), so they may carry terminal
escape sequences or bidi overrides meant to make an approver misread what they approve; every
control or format character is shown escaped instead.
"""

from __future__ import annotations

import json
import time
import unicodedata
from typing import Any

from .store import EXECUTED, EXPIRED, PENDING, ApprovalRecord

# The approvals CLI as an approver types it (``cli.PROG``).
PROG = "python -m interven_autoguard approvals"


def printable(text: Any, *, keep_newlines: bool = False) -> str:
    """``text`` with control/format characters (ESC, BIDI overrides, NUL ...) shown as ``\\x..``."""
    out = []
    for ch in str(text):
        if keep_newlines and ch in "\n\t":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def utc(ts: float | None) -> str:
    if ts is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ts))


def duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def status_text(record: ApprovalRecord, now: float | None = None) -> str:
    now = time.time() if now is None else now
    if record.state == PENDING:
        return f"pending, expires in {duration(record.expires_at - now)}"
    who = f" by {record.decided_by}" if record.decided_by else ""
    if record.state == EXPIRED:
        return f"expired at {utc(record.decided_at)}"
    if record.state == EXECUTED:
        return f"executed at {utc(record.executed_at)} (approved{who} at {utc(record.decided_at)})"
    return f"{record.state}{who} at {utc(record.decided_at)}"


def body_text(body: Any) -> str:
    """The masked body as an approver reads it: JSON pretty-printed, text as is."""
    if body is None or body == "":
        return "(no body)"
    if isinstance(body, str):
        try:
            parsed = json.loads(body)
        except ValueError:
            return body
        if isinstance(parsed, (dict, list)):
            body = parsed
        else:
            return body
    return json.dumps(body, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def headers_of(record: ApprovalRecord) -> list[tuple[str, str]]:
    headers = record.request_display.get("headers") or {}
    if isinstance(headers, dict):
        return [(str(k), str(v)) for k, v in headers.items()]
    if isinstance(headers, list):  # [[name, value], ...] keeps repeated headers
        return [(str(pair[0]), str(pair[1])) for pair in headers if len(pair) == 2]
    return []


def one_line(record: ApprovalRecord, now: float | None = None) -> str:
    codes = ",".join(record.reason_codes) or "-"
    agent = f"  agent={record.agent_id}" if record.agent_id else ""
    return printable(
        f"{record.id}  {status_text(record, now)}  {record.method} {record.url}  "
        f"risk={record.risk_band}({record.risk_score:.2f})  reasons={codes}{agent}"
    )


def details(record: ApprovalRecord, now: float | None = None) -> str:
    rows = [
        ("id", record.id),
        ("state", status_text(record, now)),
        ("request", f"{record.method} {record.url}"),
        ("reasons", ", ".join(record.reason_codes) or "-"),
        ("risk", f"{record.risk_band} ({record.risk_score:.2f})"),
        ("agent", record.agent_id or "-"),
        ("process", record.process or "-"),
        ("created", utc(record.created_at)),
        ("expires", utc(record.expires_at)),
        ("policy", record.policy_version),
        ("sha256", record.request_hash),
    ]
    if record.decided_at is not None:
        rows.append(("decided", f"{record.state} by {record.decided_by or '-'} at {utc(record.decided_at)}"))
        rows.append(("reason", record.reason or "-"))
    if record.executed_at is not None:
        rows.append(("executed", utc(record.executed_at)))
    lines = [f"{name + ':':<10} {printable(value)}" for name, value in rows]
    lines.append("headers:")
    headers = headers_of(record)
    lines.extend(f"  {printable(k)}: {printable(v)}" for k, v in headers)
    if not headers:
        lines.append("  (none)")
    lines.append("body:")
    body = printable(body_text(record.request_display.get("body")), keep_newlines=True)
    lines.extend("  " + line for line in body.splitlines() or [""])
    return "\n".join(lines)


def decide_commands(approval_id: str, db: Any = None) -> str:
    """The two commands an approver runs for ``approval_id``, ready to paste. ``db``: the store's
    path; named with ``--db`` unless it is the default location (an approver's shell need not
    share the agent's ``$INTERVEN_APPROVALS_DB``)."""
    import shlex

    from .store import default_db_path

    where = ""
    if db is not None and str(db) != str(default_db_path(use_env=False)):
        where = f" --db {shlex.quote(str(db))}"
    ident = shlex.quote(printable(approval_id))
    return f"approve: {PROG} approve {ident}{where}   deny: {PROG} deny {ident}{where} --reason '...'"
