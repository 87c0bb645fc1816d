"""Waiting for an approval by polling its status: shared by ``Client`` and ``AifClient``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .errors import ApprovalDeniedError, ApprovalExpiredError, ApprovalTimeoutError
from .wire import ApprovalStatus

MIN_POLL_INTERVAL = 0.05  # never hammer the gateway, whatever the caller asks


def wait_until_decided(
    poll: Callable[[str], ApprovalStatus],
    approval_id: str,
    *,
    poll_interval: float,
    max_wait: float,
    raise_on_terminal: bool,
) -> ApprovalStatus:
    """Poll until approved/denied/expired/executed; raise on denied/expired unless told not to."""
    poll_interval = max(poll_interval, MIN_POLL_INTERVAL)
    start = time.monotonic()
    deadline = start + max_wait
    while True:
        status = poll(approval_id)
        if status.is_terminal:
            if raise_on_terminal and status.status == "expired":
                raise ApprovalExpiredError(approval_id)
            if raise_on_terminal and status.status == "denied":
                raise ApprovalDeniedError(approval_id)
            return status
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ApprovalTimeoutError(approval_id, waited_seconds=time.monotonic() - start)
        time.sleep(min(poll_interval, remaining))


def status_from_response(result: Any, approval_id: str) -> ApprovalStatus:
    """An approval status from a gateway answer; anything unreadable is ``status="unknown"``."""
    try:
        data = result.json()
    except (ValueError, UnicodeDecodeError):
        data = {"error": f"status {result.status}"}
    if not isinstance(data, dict):
        data = {}
    data.setdefault("approval_id", approval_id)
    return ApprovalStatus.from_dict(data)
