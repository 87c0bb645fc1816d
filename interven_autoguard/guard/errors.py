"""Exception classes that are both ``RequestBlocked`` and a guarded library's own connection error.

An agent's existing ``except requests.ConnectionError`` / ``except httpx.ConnectError`` /
``except urllib.error.URLError`` keeps working when the guard blocks a call. The classes are built
on first use (the libraries stay optional), cached, and published as attributes of this module
under stable names so a blocked exception survives pickling (multiprocessing, task queues).
"""

from __future__ import annotations

import importlib
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
_BY_NAME = {name: key for key, (name, _, _) in BASES.items()}
_CACHE: dict[str, type[RequestBlocked]] = {}
_LOCK = threading.Lock()


def blocked_error(library: str) -> type[RequestBlocked]:
    """The cached ``RequestBlocked`` subclass for ``library`` (a key of ``BASES``)."""
    cls = _CACHE.get(library)
    if cls is not None:
        return cls
    with _LOCK:
        cls = _CACHE.get(library)
        if cls is None:
            name, module_name, attr = BASES[library]
            base = getattr(importlib.import_module(module_name), attr)
            cls = type(
                name,
                (RequestBlocked, base),
                {
                    "__module__": __name__,
                    "__qualname__": name,
                    "__doc__": f"RequestBlocked raised in {library}; also a {base.__qualname__}.",
                    "__str__": RequestBlocked.__str__,
                },
            )
            _CACHE[library] = cls
    return cls


def __getattr__(name: str) -> Any:
    """Resolve ``RequestsBlocked`` etc. on demand (used by pickle in a fresh process)."""
    key = _BY_NAME.get(name)
    if key is None:
        raise AttributeError(name)
    return blocked_error(key)
