"""Exception classes that are both ``RequestBlocked`` and a guarded library's own connection error.

An agent's existing ``except requests.ConnectionError`` / ``except httpx.ConnectError`` /
``except urllib.error.URLError`` keeps working when the guard blocks a call. The classes are built
on first use (the libraries stay optional), cached, and published as attributes of this module
under stable names so a blocked exception survives pickling (multiprocessing, task queues).

LLM SDKs retry connection errors (openai and anthropic: twice, with back-off) but re-raise their
own error type untouched. When such an SDK is loaded, its base error joins the bases of the
blocked class of the transport it uses: a block then surfaces once, as ``RequestBlocked`` and as
the SDK's base error, instead of being retried.
"""

from __future__ import annotations

import importlib
import sys
import threading
from typing import Any

from ..errors import RequestBlocked

# library key -> (class name published here, module of the library's error, its attribute)
BASES: dict[str, tuple[str, str, str]] = {
    "requests": ("RequestsBlocked", "requests.exceptions", "ConnectionError"),
    "urllib3": ("Urllib3Blocked", "urllib3.exceptions", "HTTPError"),
    "httpx": ("HttpxBlocked", "httpx", "ConnectError"),
    "httpx2": ("Httpx2Blocked", "httpx2", "ConnectError"),
    # An OSError: urllib.request wraps it into URLError(reason=<this>) like a refused connection.
    "http.client": ("HttpClientBlocked", "builtins", "ConnectionError"),
    "aiohttp": ("AiohttpBlocked", "aiohttp", "ClientConnectionError"),
}
# SDK module -> its base error; re-raised by the SDK as-is (see the module docstring)
SDK_BASES: dict[str, str] = {"openai": "OpenAIError", "anthropic": "AnthropicError"}
SDK_TRANSPORTS = frozenset({"httpx", "httpx2"})

_BY_NAME = {name: key for key, (name, _, _) in BASES.items()}
_CACHE: dict[tuple[str, tuple[str, ...]], type[RequestBlocked]] = {}
_LOCK = threading.Lock()


def _loaded_sdks(library: str) -> tuple[str, ...]:
    if library not in SDK_TRANSPORTS:
        return ()
    return tuple(sdk for sdk in SDK_BASES if sdk in sys.modules)


def blocked_error(library: str, sdks: tuple[str, ...] | None = None) -> type[RequestBlocked]:
    """The cached ``RequestBlocked`` subclass for ``library`` (a key of ``BASES``), also deriving
    from the base error of each SDK in ``sdks`` (default: the SDKs loaded now)."""
    key = (library, _loaded_sdks(library) if sdks is None else sdks)
    cls = _CACHE.get(key)
    if cls is not None:
        return cls
    with _LOCK:
        cls = _CACHE.get(key)
        if cls is None:
            cls = _build(*key)
            _CACHE[key] = cls
    return cls


def _build(library: str, sdks: tuple[str, ...]) -> type[RequestBlocked]:
    name, module_name, attr = BASES[library]
    bases: list[type] = [RequestBlocked, getattr(importlib.import_module(module_name), attr)]
    for sdk in sdks:
        bases.append(getattr(importlib.import_module(sdk), SDK_BASES[sdk]))
    if sdks:
        name = "_".join((name, *sdks))
    return type(
        name,
        tuple(bases),
        {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": f"RequestBlocked raised in {library}; also a {bases[1].__qualname__}.",
            "__str__": RequestBlocked.__str__,
            "__reduce__": _reduce,
        },
    )


def _reduce(self: RequestBlocked) -> tuple[Any, tuple[Any, ...]]:
    # By class name (resolved by this module's __getattr__), built with the class's own __new__:
    # several library bases are OSErrors, whose __new__ refuses to build a foreign subclass.
    return _rebuild, (type(self).__name__, self.message, self.decision, self.reason_codes,
                      self.trace_id, self.method, self.url, self.approval_id)


def _rebuild(name: str, message: str, decision: str, reason_codes: list[str], trace_id: str | None,
             method: str | None, url: str | None, approval_id: str | None) -> RequestBlocked:
    cls = __getattr__(name)
    return cls(message, decision=decision, reason_codes=reason_codes, trace_id=trace_id, method=method,
               url=url, approval_id=approval_id)


def __getattr__(name: str) -> Any:
    """Resolve ``RequestsBlocked``, ``Httpx2Blocked_openai`` ... on demand (pickle, fresh process)."""
    base_name, *sdks = name.split("_")
    key = _BY_NAME.get(base_name)
    if key is None or any(sdk not in SDK_BASES for sdk in sdks):
        raise AttributeError(name)
    return blocked_error(key, tuple(sdks))
