"""requests: ``HTTPAdapter.send`` — one call per hop (the Session follows redirects above it), with
the final headers. The PreparedRequest is edited in place on SANITIZE so ``response.request``
shows what was actually sent."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ..guard import headers as hdrs
from ..guard.bodies import capture
from ..guard.core import enter_hop, leave_hop
from ..guard.install import active_guard
from ..guard.patching import Patcher

LIBRARY = "requests"
_STORED: type | None = None  # requests.structures.CaseInsensitiveDict, once requests is imported


def patch(patcher: Patcher, module: ModuleType) -> None:
    global _STORED
    import requests.adapters
    from requests.structures import CaseInsensitiveDict

    _STORED = CaseInsensitiveDict
    patcher.wrap(requests.adapters.HTTPAdapter, "send", _send)


def _send(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    guard = active_guard()
    if guard is None:
        return wrapped(*args, **kwargs)
    request = args[0] if args else kwargs["request"]
    method = request.method or "GET"
    url = request.url
    body = request.body
    stored = request.headers
    try:  # _header_pairs(stored), its common case spelled out: this runs on every request
        headers = dict(stored._store.values()) if type(stored) is _STORED else _header_pairs(stored)
    except (AttributeError, TypeError, ValueError):
        headers = _header_pairs(stored)
    in_memory = (body is None or body.__class__ is bytes) and url.__class__ is str  # else: hop() sorts it out
    if in_memory:
        if guard.lets_through(method, url, headers, body):
            # Not the guard's to scan, or allowed outright with nothing to record: the caller's
            # very call, the hop marked as decided for the layers below.
            token = enter_hop(method, url)
            try:
                return wrapped(*args, **kwargs)
            finally:
                leave_hop(token)
    elif not guard.should_scan(method, url):
        return wrapped(*args, **kwargs)
    # urllib3 encodes a str body as UTF-8: scan the bytes that will really go out.
    captured = capture(body, str_encoding="utf-8", limit=guard.body_limit)
    with guard.hop(library=LIBRARY, layer=LIBRARY, method=method, url=url,
                   headers=headers, body=captured, quiet_asked=in_memory) as hop:
        rewrite = hop.rewrite
        if rewrite is not None:
            try:
                from requests.structures import CaseInsensitiveDict

                request.url = rewrite.url
                request.headers = CaseInsensitiveDict(rewrite.headers)
                request.body = captured.replay if rewrite.body is None else rewrite.body
            except Exception as exc:
                raise hop.rewrite_failed(exc) from None
        elif captured.replay is not request.body:
            request.body = captured.replay
        token = hop.enter(request.method or method, request.url)
        try:
            response = wrapped(*args, **kwargs)
        finally:
            hop.leave(token)
        hop.response(response.status_code)
        return response


def _header_pairs(headers: Any) -> Any:
    """``{name: value}`` as sent. requests' ``CaseInsensitiveDict`` keeps ``lower name -> (name,
    value)`` in ``_store`` (names unique in any case): read at C speed, where ``items()`` walks a
    generator and a lookup per name. Values may still be bytes: the guard's full path converts."""
    if type(headers) is _STORED:  # exactly requests' own class: its layout is known
        try:
            return dict(headers._store.values())
        except (AttributeError, TypeError, ValueError):
            pass
    return hdrs.to_dict(headers)
