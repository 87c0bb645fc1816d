"""http.client (and so urllib.request, slack_sdk, httplib2, stdlib users):
``HTTPConnection.request``. urllib3 2.x overrides ``request`` in its own connection class and never
calls this one; urllib3 1.x does, and the hop it already scanned is recognised and not re-scanned.

A blocked request raises an ``OSError`` subclass that is also ``RequestBlocked``: urllib.request
turns it into ``URLError(reason=<it>)`` like a refused connection. ``request()`` only sends; the
response status is read later by ``getresponse()`` and is not on the span.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

from ..guard import headers as hdrs
from ..guard.bodies import capture
from ..guard.install import active_guard
from ..guard.patching import Patcher
from .urllib3 import target_of

LIBRARY = "http.client"
_signature: inspect.Signature | None = None
_https_class: type | None = None


def patch(patcher: Patcher, module: ModuleType) -> None:
    global _signature, _https_class
    signature = inspect.signature(module.HTTPConnection.request)
    _signature = signature.replace(parameters=list(signature.parameters.values())[1:])
    _https_class = getattr(module, "HTTPSConnection", None)  # absent without ssl
    patcher.wrap(module.HTTPConnection, "request", _request)


def connection_url(connection: Any, target: str) -> str:
    if "://" in target[:16]:
        return target  # absolute-form: a request to a forward proxy
    tunnel_host = getattr(connection, "_tunnel_host", None)
    if tunnel_host:  # CONNECT tunnel through a proxy: the destination is the tunnel's end
        host, port, scheme = tunnel_host, getattr(connection, "_tunnel_port", None), "https"
    else:
        https = _https_class is not None and isinstance(connection, _https_class)
        host, port, scheme = connection.host, connection.port, "https" if https else "http"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    suffix = f":{port}" if port else ""
    return f"{scheme}://{host}{suffix}{target if target.startswith('/') else '/' + target}"


def _request(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    guard = active_guard()
    if guard is None or _signature is None:
        return wrapped(*args, **kwargs)
    try:
        bound = _signature.bind(*args, **kwargs)
    except TypeError:
        return wrapped(*args, **kwargs)  # the library raises its own TypeError
    arguments = bound.arguments
    method, target = arguments["method"], arguments["url"]
    url = connection_url(instance, target)
    if not guard.should_scan(method, url):
        return wrapped(*args, **kwargs)
    body = arguments.get("body")
    headers = arguments.get("headers") or {}
    # http.client encodes a str body as ISO-8859-1: scan the bytes that will really go out.
    captured = capture(body, str_encoding="iso-8859-1", limit=guard.body_limit)
    with guard.hop(library=LIBRARY, layer=LIBRARY, method=method, url=url,
                   headers=hdrs.to_dict(headers), body=captured) as hop:
        rewrite = hop.rewrite
        changed = False
        if rewrite is not None:
            arguments["url"] = target_of(target, rewrite.url)
            arguments["headers"] = dict(rewrite.headers)
            url = rewrite.url
            if rewrite.body is not None:
                arguments["body"] = rewrite.body
                arguments["encode_chunked"] = False
            else:
                arguments["body"] = captured.replay
            changed = True
        elif captured.replay is not body:
            arguments["body"] = captured.replay
            changed = True
        token = hop.enter(method, url)
        try:
            return wrapped(*bound.args, **bound.kwargs) if changed else wrapped(*args, **kwargs)
        finally:
            hop.leave(token)
