"""Bootstrap loaded by every Python process started under ``python -m interven_autoguard run``.

``run`` puts this directory first on ``PYTHONPATH``; Python's ``site`` module imports the first
``sitecustomize`` it finds, i.e. this one, before any of the program's code. It

1. installs the guard from the ``INTERVEN_*`` environment (and tracing if ``INTERVEN_TRACES``);
   if that fails the process exits with status 78 before the program starts (fail closed), unless
   ``INTERVEN_FAIL_OPEN`` is set (a warning says it runs unguarded) or ``INTERVEN_DISABLED`` is;
2. runs the ``sitecustomize`` that would have been imported without us (the user's, a distro's),
   so wrapping a program never changes what its start-up does.

It never raises: ``site`` would only print "Error in sitecustomize" and run the program unguarded.
"""

from __future__ import annotations

import os
import sys

# interven-autoguard guard sitecustomize: another guard sitecustomize chains past this file.
_MARK = b"interven-autoguard guard sitecustomize:"

_HERE = os.path.dirname(os.path.abspath(__file__))
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(_HERE))
_EXIT_CONFIG = 78


def _is_bootstrap_dir(entry: str) -> bool:
    """Any copy of this bootstrap (a nested ``run`` of another install): chaining to it would loop."""
    path = os.path.abspath(entry or os.curdir)
    return path == _HERE or (
        os.path.basename(path) == "_bootstrap"
        and os.path.basename(os.path.dirname(path)) == "interven_autoguard"
    )


def _activate() -> None:
    try:
        try:
            import interven_autoguard.runner as runner
        except ImportError:
            # Running from a source checkout rather than an install: the package sits two levels
            # up. Appended, not prepended, so it never shadows anything the program imports.
            if _PACKAGE_PARENT not in sys.path:
                sys.path.append(_PACKAGE_PARENT)
            import interven_autoguard.runner as runner
    except BaseException as exc:  # not even the launcher code is importable
        flag = os.environ.get("INTERVEN_FAIL_OPEN", "").strip().lower() in {"1", "true", "yes", "on"}
        off = os.environ.get("INTERVEN_DISABLED", "").strip().lower() in {"1", "true", "yes", "on"}
        if off:
            return
        sys.stderr.write(f"interven-autoguard: {'WARNING' if flag else 'FATAL'}: cannot import "
                         f"interven_autoguard ({type(exc).__name__}: {exc})\n")
        if not flag:
            # The runner's own words cannot be imported here: the same advice, spelled out.
            sys.stderr.write(f"interven-autoguard: this Python ({sys.executable}) does not have "
                             f"interven-autoguard installed: install it there ({sys.executable} -m pip "
                             f"install interven-autoguard), or start this child process with "
                             f"INTERVEN_DISABLED=1 to leave it unguarded. Refusing to run unguarded "
                             f"(fail closed); exiting with status {_EXIT_CONFIG}.\n")
            sys.stderr.flush()
            os._exit(_EXIT_CONFIG)
        return
    runner.activate_from_env("run bootstrap")


def _is_guard_sitecustomize(origin: str) -> bool:
    """A guard's own sitecustomize (this bootstrap, the drop-in, a copy of either): the guard is
    installed already, and running it would chain back here, forever."""
    try:
        with open(origin, "rb") as source:
            return _MARK in source.read(4096)
    except OSError:
        return False


def _chain_user_sitecustomize() -> None:
    import importlib.machinery
    import importlib.util

    search = [p for p in sys.path if not _is_bootstrap_dir(p)]
    while True:
        try:
            spec = importlib.machinery.PathFinder.find_spec("sitecustomize", search)
        except Exception:
            spec = None
        if spec is None or spec.loader is None or not spec.origin or spec.origin == __file__:
            return
        if not _is_guard_sitecustomize(spec.origin):
            break
        skipped = os.path.dirname(os.path.abspath(spec.origin))
        search = [p for p in search if os.path.abspath(p or os.curdir) != skipped]
    module = importlib.util.module_from_spec(spec)
    # `import sitecustomize` in the program should see the user's module, as it would without us.
    sys.modules["sitecustomize"] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # mirror site.py: report, do not abort start-up
        sys.stderr.write(f"Error in sitecustomize ({spec.origin}); set PYTHONVERBOSE for traceback:\n"
                         f"{type(exc).__name__}: {exc}\n")
        if sys.flags.verbose:
            import traceback

            traceback.print_exc()


_activate()
_chain_user_sitecustomize()
