"""SHA-256 and BLAKE2b for the engine and the guard, without importing ``hashlib``.

``import hashlib`` loads OpenSSL's libcrypto (about 3.5 MB of resident memory) whatever digest is
used, and nothing else in the engine needs OpenSSL. CPython ships its own implementations of both
digests — the ones ``hashlib`` itself falls back to — which give byte-identical results; a build
without them falls back to ``hashlib``.
"""

from __future__ import annotations

import importlib
from typing import Any


def _builtin(attribute: str, modules: tuple[str, ...]) -> Any:
    for name in modules:
        try:
            return getattr(importlib.import_module(name), attribute)
        except (ImportError, AttributeError):
            continue
    import hashlib

    return getattr(hashlib, attribute)


sha256: Any = _builtin("sha256", ("_sha2", "_sha256"))  # _sha2 from CPython 3.12 on
blake2b: Any = _builtin("blake2b", ("_blake2",))
