"""urllib3: ``HTTPConnectionPool.urlopen`` — every hop of direct users (boto3/botocore, ...), and a
redirect urllib3 follows itself is a new call, hence a new hop. Arguments are bound to the
original signature; the caller's headers mapping is copied, never mutated.

``urllib3.connection.HTTPConnection.request`` (urllib3 2.x; ``HTTPSConnection`` inherits it) is
guarded too: code driving a connection directly never goes through a pool. Under ``urlopen`` that
call is the same hop (same method and URL) and is not scanned again. While it runs, the
connection's own ``endheaders``/``send`` (http.client hooks) are marked as decided above.
"""

from __future__ import annotations

import inspect
from contextvars import ContextVar
from types import ModuleType
from typing import Any

from ..guard.bodies import capture
from ..guard.install import active_guard
from ..guard.patching import Patcher
from .http_client import (
    REMEMBERED_TARGET,
    absolute_url,
    connection_url,
    header_fields,
    remembered_url,
    sent_above,
    target_of,
)

LIBRARY = "urllib3"
# (method, target) of the call ``urlopen`` is making for a hop decided there or above it: its
# connection's ``request`` with these very arguments is that hop (a pool's connections go to the
# pool's host; a redirect or retry is a new ``urlopen``), recognised without rebuilding the URL.
_DECIDED: ContextVar[tuple[str, str] | None] = ContextVar("interven_autoguard_urllib3_decided", default=None)
_signature: inspect.Signature | None = None
_conn_signature: inspect.Signature | None = None


def patch(patcher: Patcher, module: ModuleType) -> None:
    global _signature, _conn_signature
    from urllib3.connection import HTTPConnection
    from urllib3.connectionpool import HTTPConnectionPool

    signature = inspect.signature(HTTPConnectionPool.urlopen)
    _signature = signature.replace(parameters=list(signature.parameters.values())[1:])  # drop self
    patcher.wrap(HTTPConnectionPool, "urlopen", _urlopen)
    if "request" in vars(HTTPConnection):  # urllib3 1.x inherits http.client's (guarded there)
        conn_signature = inspect.signature(HTTPConnection.request)
        _conn_signature = conn_signature.replace(
            parameters=list(conn_signature.parameters.values())[1:])
        patcher.wrap(HTTPConnection, "request", _conn_request)


def pool_url(pool: Any, target: str) -> str:
    """Absolute URL of a request target sent through ``pool`` (absolute already when proxied)."""
    if "://" in target[:16]:
        return target
    if len(target) <= REMEMBERED_TARGET:  # absolute_url, without its call: this runs on every request
        return remembered_url(pool.scheme, pool.host or "", pool.port, target)
    return absolute_url(pool.scheme, pool.host or "", pool.port, target)


def _argument(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str, default: Any) -> Any:
    """One argument of ``urlopen(method, url, body, headers, ...)`` without binding the signature."""
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


def _header_dict(headers: list[tuple[str, str]]) -> Any:
    """A rewrite's header lines as urllib3's own multi-valued mapping: repeated lines stay apart."""
    from urllib3._collections import HTTPHeaderDict

    return HTTPHeaderDict(headers)


def _edited_call(
    signature: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    body: Any,
    target: str,
    hop: Any,
    captured: Any,
    make_headers: Any,
) -> tuple[tuple[Any, ...], dict[str, Any], str | None] | None:
    """The arguments to call urllib3 with: the caller's own when nothing changes; otherwise bound
    and edited (the replayed body; on SANITIZE the rewritten target, a copy of the headers and
    the new body). Third item: the rewritten URL, if any. None when the arguments do not bind."""
    rewrite = hop.rewrite
    if rewrite is None and captured.replay is body:
        return args, kwargs, None
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return None
    arguments = bound.arguments
    arguments["body"] = captured.replay
    if rewrite is None:
        return bound.args, bound.kwargs, None
    try:
        arguments["headers"] = make_headers(rewrite.headers)  # a copy: never the caller's
    except Exception as exc:
        raise hop.rewrite_failed(exc) from None
    arguments["url"] = target_of(target, rewrite.url)
    if rewrite.body is not None:
        arguments["body"] = rewrite.body
        arguments["chunked"] = False  # rewrite.headers carry the new Content-Length
    return bound.args, bound.kwargs, rewrite.url


def _urlopen(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    guard = active_guard()
    if guard is None or _signature is None:
        return wrapped(*args, **kwargs)
    # _argument(..., 0, "method") and (1, "url"), spelled out: this runs on every request
    method = kwargs["method"] if "method" in kwargs else args[0] if args else None
    target = kwargs["url"] if "url" in kwargs else args[1] if len(args) > 1 else None
    if not isinstance(method, str) or not isinstance(target, str):
        return wrapped(*args, **kwargs)  # urllib3 raises its own error for these
    url = pool_url(instance, target)
    if not guard.should_scan(method, url):  # e.g. the hop requests already scanned
        token = _DECIDED.set((method, target))
        try:
            return wrapped(*args, **kwargs)
        finally:
            _DECIDED.reset(token)
    body = _argument(args, kwargs, 2, "body", None)
    headers = _argument(args, kwargs, 3, "headers", None)
    if headers is None:
        headers = instance.headers  # what urlopen itself falls back to
    captured = capture(body, str_encoding="utf-8", limit=guard.body_limit)
    with guard.hop(library=LIBRARY, layer=LIBRARY, method=method, url=url,
                   headers=header_fields(headers), body=captured) as hop:
        call = _edited_call(_signature, args, kwargs, body, target, hop, captured, _header_dict)
        if call is None:
            return wrapped(*args, **kwargs)  # urllib3 raises its own TypeError, nothing sent
        call_args, call_kwargs, url = call[0], call[1], call[2] or url
        token = hop.enter(method, url)
        decided = _DECIDED.set((method, target_of(target, call[2]) if call[2] else target))
        try:
            response = wrapped(*call_args, **call_kwargs)
        finally:
            _DECIDED.reset(decided)
            hop.leave(token)
        hop.response(response.status)
        return response


def _conn_request(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``HTTPConnection.request(method, url, body=None, headers=None, *, chunked=False, ...)``."""
    guard = active_guard()
    if guard is None or _conn_signature is None:
        return wrapped(*args, **kwargs)
    method = kwargs["method"] if "method" in kwargs else args[0] if args else None  # as in _urlopen
    target = kwargs["url"] if "url" in kwargs else args[1] if len(args) > 1 else None
    if not isinstance(method, str) or not isinstance(target, str):
        return sent_above(instance, wrapped, *args, **kwargs)  # urllib3 raises its own error
    decided = _DECIDED.get()
    if decided is not None and decided[0] == method and decided[1] == target:
        return sent_above(instance, wrapped, *args, **kwargs)  # urlopen's own call for its hop
    url = connection_url(instance, target)
    if not guard.should_scan(method, url):  # e.g. the hop urlopen already scanned
        return sent_above(instance, wrapped, *args, **kwargs)
    body = _argument(args, kwargs, 2, "body", None)
    headers = _argument(args, kwargs, 3, "headers", None)
    captured = capture(body, str_encoding="utf-8", limit=guard.body_limit)
    with guard.hop(library=LIBRARY, layer=LIBRARY, method=method, url=url,
                   headers=header_fields(headers), body=captured) as hop:
        call = _edited_call(_conn_signature, args, kwargs, body, target, hop, captured, _header_dict)
        if call is None:  # urllib3 raises its own TypeError, nothing sent
            return sent_above(instance, wrapped, *args, **kwargs)
        call_args, call_kwargs, url = call[0], call[1], call[2] or url
        token = hop.enter(method, url)
        try:
            return sent_above(instance, wrapped, *call_args, **call_kwargs)
        finally:
            hop.leave(token)
