"""The interface the guard talks to: the embedded engine and the gateway client both implement it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, Protocol, runtime_checkable

from .model import ScanResponse

# Final states of an approval as seen by a waiting caller.
APPROVED = "approved"
DENIED = "denied"
EXPIRED = "expired"

ApprovalStateCallback = Callable[[str], None]

_APPROVALS_OFF: ContextVar[bool] = ContextVar("interven_approvals_off", default=False)


@contextlib.contextmanager
def approvals_off() -> Iterator[None]:
    """Scans in this block must not put a request in front of a human (monitor mode: the request
    is sent anyway, so an approval would be a pending record nobody needs)."""
    token = _APPROVALS_OFF.set(True)
    try:
        yield
    finally:
        _APPROVALS_OFF.reset(token)


def approvals_wanted() -> bool:
    return not _APPROVALS_OFF.get()


@runtime_checkable
class Scanner(Protocol):
    name: str  # "embedded" | "gateway"

    def scan(
        self,
        *,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        agent_id: str | None = None,
        request_hash: str | None = None,
    ) -> ScanResponse:
        """Decide on one request. ``body`` is bytes/str/dict/list/None; never mutated.

        ``request_hash`` (SHA-256 hex of the exact request, see ``guard.request_hash``) binds an
        approval, if one is created, to this very request.
        """
        ...

    def wait_for_approval(
        self,
        approval_id: str,
        *,
        request_hash: str,
        timeout: float,
        on_state: ApprovalStateCallback | None = None,
    ) -> str:
        """Block until the approval is decided or ``timeout`` passes.

        Returns APPROVED (and atomically consumes the approval: single use), DENIED or EXPIRED.
        """
        ...

    async def await_approval(
        self,
        approval_id: str,
        *,
        request_hash: str,
        timeout: float,
        on_state: ApprovalStateCallback | None = None,
    ) -> str:
        """The same as ``wait_for_approval`` without blocking the event loop."""
        ...
