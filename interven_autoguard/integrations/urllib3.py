"""urllib3: ``HTTPConnectionPool.urlopen`` — every hop of direct users (boto3/botocore, ...), and a
redirect urllib3 follows itself is a new call, hence a new hop. Arguments are bound to the
original signature; the caller's headers mapping is copied, never mutated."""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

from ..guard import headers as hdrs
from ..guard.bodies import capture
from ..guard.install import active_guard
from ..guard.patching import Patcher

LIBRARY = "urllib3"
_signature: inspect.Signature | None = None


def patch(patcher: Patcher, module: ModuleType) -> None:
    global _signature
    from urllib3.connectionpool import HTTPConnectionPool

    signature = inspect.signature(HTTPConnectionPool.urlopen)
    _signature = signature.replace(parameters=list(signature.parameters.values())[1:])  # drop self
    patcher.wrap(HTTPConnectionPool, "urlopen", _urlopen)


def pool_url(pool: Any, target: str) -> str:
    """Absolute URL of a request target sent through ``pool`` (absolute already when proxied)."""
    if "://" in target[:16]:
        return target
    host = pool.host or ""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = f":{pool.port}" if pool.port else ""
    return f"{pool.scheme}://{host}{port}{target if target.startswith('/') else '/' + target}"


def target_of(original_target: str, url: str) -> str:
    """Put a rewritten absolute URL back in the form the caller used (origin-form or absolute)."""
    if "://" in original_target[:16]:
        return url
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _urlopen(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    guard = active_guard()
    if guard is None or _signature is None:
        return wrapped(*args, **kwargs)
    bound = _signature.bind(*args, **kwargs)
    arguments = bound.arguments
    method = arguments["method"]
    target = arguments["url"]
    url = pool_url(instance, target)
    if not guard.should_scan(method, url):
        return wrapped(*args, **kwargs)
    headers = arguments.get("headers")
    if headers is None:
        headers = instance.headers  # what urlopen itself falls back to
    body = arguments.get("body")
    captured = capture(body, str_encoding="utf-8", limit=guard.body_limit)
    with guard.hop(library=LIBRARY, layer=LIBRARY, method=method, url=url,
                   headers=hdrs.to_dict(headers), body=captured) as hop:
        rewrite = hop.rewrite
        changed = False
        if rewrite is not None:
            from urllib3._collections import HTTPHeaderDict

            arguments["url"] = target_of(target, rewrite.url)
            arguments["headers"] = HTTPHeaderDict(rewrite.headers)
            url = rewrite.url
            if rewrite.body is not None:
                arguments["body"] = rewrite.body
                arguments["chunked"] = False
            else:
                arguments["body"] = captured.replay
            changed = True
        elif captured.replay is not body:
            arguments["body"] = captured.replay
            changed = True
        token = hop.enter(method, url)
        try:
            response = wrapped(*bound.args, **bound.kwargs) if changed else wrapped(*args, **kwargs)
        finally:
            hop.leave(token)
        hop.response(response.status)
        return response
