"""Class-level patches, restorable exactly, never applied twice.

Patching the class (not instances) covers clients created before ``install()``. Each patch is a
plain function standing in for the method: ``functools.update_wrapper`` gives it the original's
``__name__``, ``__qualname__``, ``__doc__`` and ``__wrapped__`` (so ``inspect.signature`` answers as
before), and an ``async def`` stands in for a coroutine method, so ``iscoroutinefunction`` does too.
(wrapt's ``FunctionWrapper`` did the same at about twice the cost per call: a requests call goes
through six of these.) A wrapper has wrapt's calling convention, ``wrapper(wrapped, instance, args,
kwargs)``, with ``wrapped`` bound to ``instance``; another tool may wrap over a patch with wrapt.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_MISSING = object()
_MARK = "_interven_autoguard_patch"

Wrapper = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]


class AlreadyGuarded(RuntimeError):
    """A method would have been wrapped a second time: a bug, never silently tolerated."""


@dataclass
class _Patch:
    owner: type
    name: str
    original: Any  # the owner's own ``__dict__`` entry, or _MISSING if it was inherited
    wrapper: Any


def is_guard_wrapper(obj: Any) -> bool:
    """True if ``obj`` is, or wraps (through other wrapt/functools layers), one of our patches."""
    seen = 0
    while obj is not None and seen < 32:
        if getattr(obj, _MARK, False) is True:
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


def _is_async(wrapper: Wrapper) -> bool:
    while isinstance(wrapper, functools.partial):
        wrapper = wrapper.func
    return inspect.iscoroutinefunction(wrapper)


def guarded_method(original: Any, wrapper: Wrapper) -> Callable[..., Any]:
    """A function to put in a class in place of the method ``original`` (the class's own attribute:
    a function, or another tool's descriptor), calling ``wrapper(bound original, self, args, kwargs)``."""
    if isinstance(original, (staticmethod, classmethod)) or not hasattr(original, "__get__"):
        raise TypeError(f"only instance methods are patched, not {type(original).__name__}")
    bind = original.__get__  # a function's gives a bound method; a wrapt wrapper's, its bound proxy

    if _is_async(wrapper):
        async def patched_async(self: Any, /, *args: Any, **kwargs: Any) -> Any:
            return await wrapper(bind(self, type(self)), self, args, kwargs)

        patched: Callable[..., Any] = patched_async
    else:
        def patched_sync(self: Any, /, *args: Any, **kwargs: Any) -> Any:
            return wrapper(bind(self, type(self)), self, args, kwargs)

        patched = patched_sync
    functools.update_wrapper(patched, original)
    setattr(patched, _MARK, True)
    return patched


class Patcher:
    """Owns every patch the guard applied; ``unpatch_all`` puts the originals back."""

    def __init__(self) -> None:
        self._patches: dict[tuple[type, str], _Patch] = {}
        # Held only around dictionary checks and setattr, never across an import.
        self._lock = threading.Lock()

    def reset_lock(self) -> None:
        """After fork: a lock held by another thread at fork time would stay held in the child."""
        self._lock = threading.Lock()

    def is_patched(self, owner: type, name: str) -> bool:
        return (owner, name) in self._patches

    def wrap(self, owner: type, name: str, wrapper: Wrapper) -> None:
        key = (owner, name)
        with self._lock:
            if key in self._patches:
                return  # still ours (kept when another tool wrapped over it): nothing to do
            current = _raw_attribute(owner, name)
            if is_guard_wrapper(current):
                raise AlreadyGuarded(f"{owner.__module__}.{owner.__qualname__}.{name} is already guarded")
            patched = guarded_method(current, wrapper)
            self._patches[key] = _Patch(owner, name, vars(owner).get(name, _MISSING), patched)
            setattr(owner, name, patched)

    def unpatch_all(self) -> list[str]:
        """Restore originals. A patch another tool has wrapped over since is left in place (its
        wrapper passes calls straight through while no guard is active) and reported."""
        left: list[str] = []
        with self._lock:
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
        with self._lock:
            return [f"{p.owner.__module__}.{p.owner.__qualname__}.{p.name}" for p in self._patches.values()]
