"""``install()`` / ``uninstall()`` / ``guarded()``: patch the HTTP libraries, now or when imported.

Libraries already imported are patched at once; the others through a post-import hook, so importing
``interven_autoguard`` never imports ``ssl``, ``requests``, ``httpx``... itself. All state changes
happen under one lock; adapters read the active guard without taking it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import inspect
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from types import ModuleType
from typing import Any

from ..config import Settings
from ..errors import ConfigurationError
from ..scanner import Scanner
from . import errors as blocked_errors
from . import imports
from .core import Guard
from .imports import when_imported
from .patching import Patcher

log = logging.getLogger("interven_autoguard.guard")

# library module -> adapter module in interven_autoguard.integrations (one adapter per library;
# httpx's handles httpx2 too: same transports, different package).
INTEGRATIONS: tuple[tuple[str, str], ...] = (
    ("requests", "requests"),
    ("urllib3", "urllib3"),
    ("httpx", "httpx"),
    ("httpx2", "httpx"),
    ("http.client", "http_client"),
    ("aiohttp", "aiohttp"),
)

_lock = threading.RLock()
_patcher = Patcher()
_global: Guard | None = None
_scoped: ContextVar[Guard | None] = ContextVar("interven_autoguard_scoped_guard", default=None)
_scopes = 0  # guarded() blocks currently open, in any thread
_hooked: set[str] = set()  # modules with a pending post-import hook


def active_guard() -> Guard | None:
    """The guard that applies to the current context: a ``guarded()`` block's, else the global one."""
    return _scoped.get() or _global


def current_guard() -> Guard | None:
    return active_guard()


def is_installed() -> bool:
    return active_guard() is not None


def make_scanner(settings: Settings) -> Scanner:
    """The single place where the scanner is chosen: the gateway when an API key is configured,
    otherwise the embedded engine."""
    if settings.api_key:
        try:
            from ..gateway.client import GatewayScanner  # type: ignore[import-not-found]
        except ImportError as exc:
            raise ConfigurationError(
                "INTERVEN_API_KEY is set but the gateway client is not available"
            ) from exc
        return GatewayScanner(settings)  # type: ignore[no-any-return]
    from ..engine.scanner import LocalScanner  # type: ignore[import-not-found]

    return LocalScanner(policy=settings.policy)  # type: ignore[no-any-return]


def _settings(settings: Settings | None, overrides: dict[str, Any]) -> Settings:
    if settings is None:
        return Settings.from_env(**overrides)
    given = {k: v for k, v in overrides.items() if v is not None}
    return dataclasses.replace(settings, **given) if given else settings  # Settings normalises hosts


_SCANNER_FIELDS = ("policy", "api_key", "gateway_url", "agent_id")


def _reusable_scanner(settings: Settings) -> Scanner | None:
    """The installed guard's scanner, if ``settings`` would build an identical one (scanners can be
    expensive to build: compiled rules, connection pools)."""
    existing = _global
    if existing is None:
        return None
    same = all(getattr(existing.settings, f) == getattr(settings, f) for f in _SCANNER_FIELDS)
    return existing.scanner if same else None


def install(settings: Settings | None = None, *, scanner: Scanner | None = None, **overrides: Any) -> Guard:
    """Guard every outbound HTTP request of this process. Idempotent and thread-safe.

    ``settings`` defaults to ``Settings.from_env(**overrides)``. Calling it again with the same
    settings returns the installed guard; with other settings it replaces the guard (the patches
    stay). With ``INTERVEN_DISABLED`` / ``disabled=True`` nothing is patched and the returned guard
    is inactive.
    """
    global _global
    resolved = _settings(settings, overrides)
    with _lock:
        existing = _global
        if existing is not None and scanner in (None, existing.scanner) and existing.settings == resolved:
            return existing
        chosen = scanner or _reusable_scanner(resolved)
    if resolved.disabled:
        log.info("interven-autoguard: disabled by settings; nothing patched")
        uninstall()
        return Guard(resolved, chosen or _InactiveScanner())
    if chosen is None:
        chosen = make_scanner(resolved)  # outside the lock: may import and compile the engine
    guard = Guard(resolved, chosen)
    _load_adapters()
    with _lock:
        _global = guard
    _patch_everything()
    where = resolved.describe_scanner() if scanner is None else f"the {chosen.name} scanner given in code"
    log.info("interven-autoguard: installed, %s mode, scanning with %s", resolved.mode, where)
    return guard


def _warm_up(scanner: Scanner) -> None:
    """Compile the scanner's tables (the embedded engine's automata: tens of milliseconds) once an
    HTTP library is there to be guarded: the agent's first request does not wait for them, and a
    child process that never loads one (``run`` guards every Python child) never pays for them. A
    failure here is the first scan's to report."""
    warm_up = getattr(scanner, "warm_up", None)
    if callable(warm_up):
        try:
            warm_up()
        except Exception as exc:  # never break install(); the scan itself fails closed
            log.warning("interven-autoguard: scanner warm-up failed (%s)", type(exc).__name__)


def uninstall() -> None:
    """Stop guarding and restore the libraries' original methods (unless a ``guarded()`` block is
    still open somewhere; its end restores them)."""
    global _global
    with _lock:
        _global = None
        if _scopes == 0:
            _unpatch_everything()


def guarded(settings: Settings | None = None, *, scanner: Scanner | None = None,
            **overrides: Any) -> Guarded:
    """Guard the calls made inside the block (this thread/task and tasks it starts) with these
    settings, e.g. ``with guarded(mode="monitor"):`` (or ``async with``). Restores the previous
    state on exit. As a decorator it guards each call of the function — of a coroutine function,
    the whole ``await``, not just the creation of the coroutine."""
    return Guarded(settings, scanner, overrides)


class Guarded:
    """What ``guarded()`` returns: a context manager (``with``/``async with``) and a decorator."""

    def __init__(self, settings: Settings | None, scanner: Scanner | None, overrides: dict[str, Any]) -> None:
        self._args = (settings, scanner, overrides)
        self._open: list[contextlib.AbstractContextManager[Guard]] = []  # nested ``with`` of one object

    def __enter__(self) -> Guard:
        scope = _scope(*self._args)
        guard = scope.__enter__()
        self._open.append(scope)
        return guard

    def __exit__(self, *exc_info: Any) -> bool | None:
        return self._open.pop().__exit__(*exc_info)

    async def __aenter__(self) -> Guard:
        return self.__enter__()

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        return self.__exit__(*exc_info)

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        args = self._args
        if inspect.iscoroutinefunction(function):
            @functools.wraps(function)
            async def guarded_coroutine(*a: Any, **k: Any) -> Any:
                with _scope(*args):
                    return await function(*a, **k)

            return guarded_coroutine

        @functools.wraps(function)
        def guarded_call(*a: Any, **k: Any) -> Any:
            with _scope(*args):
                return function(*a, **k)

        return guarded_call


@contextlib.contextmanager
def _scope(settings: Settings | None, scanner: Scanner | None, overrides: dict[str, Any]) -> Iterator[Guard]:
    global _scopes
    resolved = _settings(settings, overrides)
    with _lock:
        chosen = scanner or _reusable_scanner(resolved)
    if resolved.disabled:
        yield Guard(resolved, chosen or _InactiveScanner())
        return
    guard = Guard(resolved, chosen or make_scanner(resolved))
    _load_adapters()
    with _lock:
        _scopes += 1
    _patch_everything()
    token = _scoped.set(guard)
    try:
        yield guard
    finally:
        _scoped.reset(token)
        with _lock:
            _scopes -= 1
            if _scopes == 0 and _global is None:
                _unpatch_everything()


def patched_methods() -> list[str]:
    """``module.Class.method`` of every method currently patched (for diagnostics and tests)."""
    with _lock:
        return _patcher.patched()


# ------------------------------------------------------------------------------------ patching
@functools.cache
def _adapter(name: str) -> ModuleType:
    return importlib.import_module(f"interven_autoguard.integrations.{name}")


def _load_adapters() -> None:
    # Imported before taking the lock: an import hook running in another thread holds the import
    # lock of its module and then waits for ours; we must not wait for an import while holding ours.
    for _, adapter in INTEGRATIONS:
        _adapter(adapter)


def _wanted() -> bool:
    return _global is not None or _scopes > 0


def _patch_everything() -> None:
    """Patch the libraries already imported and hook the others. Called without ``_lock`` held:
    patching may have to wait for another thread that is still importing the library, and that
    thread's post-import hook needs ``_lock``."""
    loaded: list[tuple[str, str, ModuleType]] = []
    to_hook: list[str] = []
    with _lock:
        for module_name, adapter in INTEGRATIONS:
            module = sys.modules.get(module_name)
            if module is not None:
                loaded.append((module_name, adapter, module))
            elif module_name not in _hooked:
                _hooked.add(module_name)
                to_hook.append(module_name)
    for module_name in to_hook:
        when_imported(module_name, functools.partial(_on_import, module_name))
    for module_name, adapter in INTEGRATIONS:
        # Imported by another thread between our look-up and the hook: its loader was not chained.
        module = sys.modules.get(module_name)
        if module_name in to_hook and module is not None:
            loaded.append((module_name, adapter, module))
    for module_name, adapter, module in loaded:
        _patch_module(module_name, adapter, module)
    _drop_patches_if_unwanted()


def _on_import(module_name: str, module: ModuleType) -> None:
    """Post-import hook (runs in the importing thread once ``module_name`` has executed)."""
    with _lock:
        _hooked.discard(module_name)
        wanted = _wanted()
    if not wanted:
        return
    for name, adapter in INTEGRATIONS:
        if name == module_name:
            _patch_module(name, adapter, module)
    _drop_patches_if_unwanted()


def _drop_patches_if_unwanted() -> None:
    # uninstall() may have run while we were patching outside the lock.
    with _lock:
        if not _wanted():
            _unpatch_everything()


def _patch_module(module_name: str, adapter: str, module: ModuleType) -> None:
    try:
        if getattr(getattr(module, "__spec__", None), "_initializing", False):
            # Another thread is still importing it: importing its submodules now, in another order,
            # could deadlock the two imports. import_module waits for that import to finish.
            module = importlib.import_module(module_name)
        _adapter(adapter).patch(_patcher, module)
    except Exception as exc:  # a library version we do not know: say so loudly, never crash its import
        log.warning("interven-autoguard: could not guard %s (%s: %s); its requests are NOT scanned",
                    module_name, type(exc).__name__, exc)
        return
    guard = _global
    if guard is not None:
        _warm_up(guard.scanner)


def _unpatch_everything() -> None:
    left = _patcher.unpatch_all()
    if left:
        log.info("interven-autoguard: %s wrapped again by another tool; left in place, inactive",
                 ", ".join(left))


class _InactiveScanner:
    """Scanner of the guard returned while disabled: it is never called (nothing is patched)."""

    name = "disabled"

    def scan(self, **_: Any) -> Any:
        raise ConfigurationError("interven-autoguard is disabled")

    def wait_for_approval(self, approval_id: str, **_: Any) -> str:
        raise ConfigurationError("interven-autoguard is disabled")

    async def await_approval(self, approval_id: str, **_: Any) -> str:
        raise ConfigurationError("interven-autoguard is disabled")


def _after_fork_in_child() -> None:
    # A lock held by another thread at fork time would stay held forever in the child.
    global _lock
    _lock = threading.RLock()
    blocked_errors._LOCK = threading.Lock()
    _patcher.reset_lock()
    imports._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
