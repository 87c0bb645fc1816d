"""aiohttp: the decision is taken in ``BaseConnector.connect(req, ...)``, which aiohttp calls for
every hop (each redirect builds a new ``ClientRequest``) *before* it opens or reuses a connection —
``ClientRequest.send`` runs only after the connection exists, too late for "no connection on DENY".
Patching the connector class covers sessions created before ``install()``.

aiohttp payloads can be read without being spent: ``as_bytes()`` caches an async iterable's chunks
(and replays them with the same boundaries) and a file payload rewinds to its start position, so
on ALLOW the request goes out with the caller's own payload object untouched.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ..guard import headers as hdrs
from ..guard.bodies import Captured
from ..guard.core import Rewrite
from ..guard.install import active_guard
from ..guard.patching import Patcher

LIBRARY = "aiohttp"


def patch(patcher: Patcher, module: ModuleType) -> None:
    from aiohttp.connector import BaseConnector

    patcher.wrap(BaseConnector, "connect", _connect)


async def _payload_bytes(req: Any, limit: int) -> Captured:
    payload = getattr(req, "_body", None)
    if payload is None:
        return Captured(None, None)
    size = payload.size
    if size is not None and size > limit:
        return Captured(b"", payload, complete=False)
    if hasattr(payload, "as_bytes"):
        data = await payload.as_bytes()
    else:  # aiohttp < 3.12: only in-memory payloads are inspectable
        value = getattr(payload, "_value", None)
        if not isinstance(value, (bytes, bytearray)):
            return Captured(b"", payload, complete=False)
        data = bytes(value)
    return Captured(data, payload, complete=len(data) <= limit)


def _scanned_headers(req: Any) -> list[tuple[str, str]]:
    """The request's header lines (a multidict may repeat a name: each line is kept apart) as the
    scanner must read them with the payload it is given.

    With ``compress=`` aiohttp has already set ``Content-Encoding`` (its own value: it refuses
    ``compress`` next to a caller's Content-Encoding) but compresses the payload only as it writes
    it. The payload scanned is the plain one, so the header that would say otherwise is left out
    (an engine would try to inflate plain bytes and fail closed)."""
    # As plain str (the multidict's names are ``istr``): the engine's quiet lane reads exact types.
    lines = hdrs.lines(req.headers)
    if not req.compress:
        return lines
    return [(name, value) for name, value in lines if name.lower() != "content-encoding"]


async def _apply(req: Any, rewrite: Rewrite) -> None:
    from multidict import CIMultiDict
    from yarl import URL

    req.url = URL(rewrite.url, encoded=True)
    req.headers = CIMultiDict(rewrite.headers)  # repeated lines stay apart
    if req.compress:  # left out of the scan (see _scanned_headers): aiohttp still compresses
        req.headers["Content-Encoding"] = req.compress
    if rewrite.body is not None:
        if not req.compress:  # a compressed upload is chunked by aiohttp itself
            req.chunked = None
        await req.update_body(rewrite.body)  # sets Content-Length from the new payload


async def _connect(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    guard = active_guard()
    if guard is None:
        return await wrapped(*args, **kwargs)
    req = args[0] if args else kwargs["req"]
    url = str(req.url)
    if not guard.should_scan(req.method, url):
        return await wrapped(*args, **kwargs)
    captured = await _payload_bytes(req, guard.body_limit)
    async with guard.ahop(library=LIBRARY, layer=LIBRARY, method=req.method, url=url,
                          headers=_scanned_headers(req), body=captured) as hop:
        if hop.rewrite is not None:
            try:
                await _apply(req, hop.rewrite)
            except Exception as exc:
                raise hop.rewrite_failed(exc) from None
        return await wrapped(*args, **kwargs)
