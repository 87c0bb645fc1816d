"""Class-level patches with wrapt, restorable exactly, never applied twice.

Patching the class (not instances) covers clients created before ``install()``. A wrapt
``FunctionWrapper`` keeps ``__name__``, ``__doc__``, signature and ``inspect`` answers of the original,
so introspecting code (and ``iscoroutinefunction``) sees what it saw before.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_MISSING = object()
_MARK = "_self_interven_autoguard"


class AlreadyGuarded(RuntimeError):
    """A method would have been wrapped a second time: a bug, never silently tolerated."""


@dataclass
class _Patch:
    owner: type
    name: str
    original: Any  # the owner's own ``__dict__`` entry, or _MISSING if it was inherited
    wrapper: Any


def is_guard_wrapper(obj: Any) -> bool:
    """True if ``obj`` is, or wraps (through other wrapt/functools layers), one of our wrappers."""
    wrapt = sys.modules.get("wrapt")
    if wrapt is None:
        return False  # wrapt not even imported: nothing can be wrapped by us
    seen = 0
    while obj is not None and seen < 32:
        if isinstance(obj, wrapt.FunctionWrapper) and getattr(obj, _MARK, False):
            return True
        obj = getattr(obj, "__wrapped__", None)
        seen += 1
    return False


def _raw_attribute(owner: type, name: str) -> Any:
    """The descriptor as stored in the class that defines it (not a bound or unbound lookup)."""
    for klass in owner.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    raise AttributeError(f"{owner.__qualname__} has no attribute {name!r}")


class Patcher:
    """Owns every patch the guard applied; ``unpatch_all`` puts the originals back."""

    def __init__(self) -> None:
        self._patches: dict[tuple[type, str], _Patch] = {}

    def is_patched(self, owner: type, name: str) -> bool:
        return (owner, name) in self._patches

    def wrap(self, owner: type, name: str, wrapper: Callable[..., Any]) -> None:
        key = (owner, name)
        if key in self._patches:
            return  # still ours (kept when another tool wrapped over it): nothing to do
        current = _raw_attribute(owner, name)
        if is_guard_wrapper(current):
            raise AlreadyGuarded(f"{owner.__module__}.{owner.__qualname__}.{name} is already guarded")
        import wrapt  # only now: importing wrapt imports asyncio and ssl

        function_wrapper = wrapt.FunctionWrapper(current, wrapper)
        setattr(function_wrapper, _MARK, True)
        self._patches[key] = _Patch(owner, name, vars(owner).get(name, _MISSING), function_wrapper)
        setattr(owner, name, function_wrapper)

    def unpatch_all(self) -> list[str]:
        """Restore originals. A patch another tool has wrapped over since is left in place (its
        wrapper passes calls straight through while no guard is active) and reported."""
        left: list[str] = []
        for key, patch in list(self._patches.items()):
            if vars(patch.owner).get(patch.name, _MISSING) is not patch.wrapper:
                left.append(f"{patch.owner.__qualname__}.{patch.name}")
                continue
            if patch.original is _MISSING:
                delattr(patch.owner, patch.name)
            else:
                setattr(patch.owner, patch.name, patch.original)
            del self._patches[key]
        return left

    def patched(self) -> list[str]:
        return [f"{p.owner.__module__}.{p.owner.__qualname__}.{p.name}" for p in self._patches.values()]
