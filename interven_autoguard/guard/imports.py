"""Run a callback right after a module is imported, without importing it (or anything heavy) first.

A small ``sys.meta_path`` finder: for a watched name it asks the other finders for the spec and
chains the loader, so the callback runs once the module has executed. The module's own
``__loader__`` / ``__spec__.loader`` are set back to the real loader before it executes, so
resource readers and introspection see what they would have seen. (wrapt has the same facility,
but importing wrapt imports asyncio and ssl; this module imports neither.)
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

Callback = Callable[[ModuleType], None]

_lock = threading.Lock()
_callbacks: dict[str, list[Callback]] = {}
_finder: _PostImportFinder | None = None


def when_imported(name: str, callback: Callback) -> None:
    """Call ``callback(module)`` once ``name`` has been imported (now, if it already is)."""
    global _finder
    with _lock:
        module = sys.modules.get(name)
        if module is None:
            _callbacks.setdefault(name, []).append(callback)
            if _finder is None or _finder not in sys.meta_path:
                _finder = _PostImportFinder()
                sys.meta_path.insert(0, _finder)
            return
    callback(module)


def pending() -> list[str]:
    with _lock:
        return sorted(_callbacks)


def _notify(name: str, module: ModuleType) -> None:
    with _lock:
        callbacks = _callbacks.pop(name, [])
    for callback in callbacks:
        callback(module)


class _ChainedLoader:
    """Delegates everything to the real loader; runs the callbacks after ``exec_module``."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._loader, attribute)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        if getattr(module, "__loader__", None) in (None, self):
            try:
                module.__loader__ = self._loader
            except AttributeError:
                pass
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.loader is self:
            spec.loader = self._loader
        self._loader.exec_module(module)
        _notify(module.__name__, module)


class _PostImportFinder:
    def __init__(self) -> None:
        self._searching = threading.local()

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname not in _callbacks:
            return None
        searching: set[str] = self._searching.__dict__.setdefault("names", set())
        if fullname in searching:
            return None
        searching.add(fullname)
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            searching.discard(fullname)
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec  # namespace package or legacy loader: not one of the libraries we watch
        spec.loader = _ChainedLoader(spec.loader)  # type: ignore[assignment]
        return spec

    def invalidate_caches(self) -> None:
        return None
