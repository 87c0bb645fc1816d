"""``scan()``: the one-call entry point, embedded by default, the gateway when a key is configured."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from . import telemetry
from .config import check_scanner_choice
from .model import ScanResponse
from .scanner import Scanner

_default: Scanner | None = None
_default_key: tuple[str | None, str | None, str | None] | None = None
_lock = threading.Lock()


def default_scanner() -> Scanner:
    """The process-wide scanner: the gateway when ``INTERVEN_API_KEY`` is set, else the embedded engine.

    Rebuilt when the relevant environment changes, so tests and long-lived agents see new settings.
    """
    global _default, _default_key
    key = (
        os.environ.get("INTERVEN_API_KEY"),
        os.environ.get("INTERVEN_GATEWAY_URL"),
        os.environ.get("INTERVEN_POLICY"),
    )
    with _lock:
        if _default is None or key != _default_key:
            _default = make_scanner(api_key=key[0], gateway_url=key[1], policy=key[2])
            _default_key = key
        return _default


def make_scanner(
    *,
    api_key: str | None = None,
    gateway_url: str | None = None,
    policy: Any = None,
    agent_id: str | None = None,
) -> Scanner:
    """The single place that chooses between the embedded engine and the gateway.

    With a key, ``gateway_url`` must be given (the hosted service is never implied) and ``policy``
    must not be (the gateway's policy decides): ``ConfigurationError`` otherwise.
    """
    check_scanner_choice(api_key, gateway_url, policy)
    if api_key:
        try:
            from .gateway.scanner import GatewayScanner
        except ImportError:  # gateway client not available in this build
            pass
        else:
            return GatewayScanner(api_key=api_key, gateway_url=gateway_url, agent_id=agent_id)  # type: ignore[no-any-return]
    from .engine.scanner import LocalScanner

    return LocalScanner(policy=policy)


def scan(
    method: str = "GET",
    url: str = "",
    body: Any = None,
    headers: Any = None,
    *,
    policy: Any = None,
    agent_id: str | None = None,
) -> ScanResponse:
    """Decide on one request without sending it.

    When the decision is REQUIRE_APPROVAL an approval request is created (``approval_id``) and
    appears in the approvers' queue; inside ``with interven_autoguard.scanner.approvals_off():``
    none is requested (``approval_id`` stays ``None``), as the ``scan`` command does.

    >>> r = scan(method="POST", url="https://slack.com/api/chat.postMessage",
    ...          body={"text": "Customer SSN 478-23-9156, email john@acme.com"})
    >>> r.decision
    'SANITIZE'
    """
    scanner: Scanner
    if policy is not None:
        from .engine.scanner import LocalScanner

        scanner = LocalScanner(policy=policy)
    else:
        scanner = default_scanner()
    started = time.perf_counter()
    response = scanner.scan(method=method, url=url, headers=headers, body=body, agent_id=agent_id)
    telemetry.record_scan(method, url, response, scanner=scanner.name, seconds=time.perf_counter() - started)
    return response
