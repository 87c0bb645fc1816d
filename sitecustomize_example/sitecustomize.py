"""Drop-in ``sitecustomize``: guard every Python process that has this directory on ``PYTHONPATH``.

For containers and CI, where wrapping the command in ``python -m interven_autoguard run`` is
awkward::

    ENV PYTHONPATH=/opt/interven/sitecustomize_example
    ENV INTERVEN_MODE=enforce            # or monitor; INTERVEN_POLICY, INTERVEN_TRACES=otlp, ...

Python imports the first ``sitecustomize`` on its path at start-up, before the program's first
line. This one installs the guard with settings from the ``INTERVEN_*`` environment, then runs the
``sitecustomize`` that would otherwise have been imported (a distro's, your own), so adding it
changes nothing else. See README.md beside this file.

Fail closed: if the guard cannot be installed the process exits with status 78 before the
program runs, unless ``INTERVEN_FAIL_OPEN=1`` (runs unguarded, with a warning on stderr) or
``INTERVEN_DISABLED=1`` (the kill switch).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_TRUE = {"1", "true", "yes", "on"}
# interven-autoguard guard sitecustomize: another guard sitecustomize chains past this file.
_MARK = b"interven-autoguard guard sitecustomize:"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def _install_guard() -> None:
    try:
        from interven_autoguard.runner import activate_from_env
    except ImportError as exc:  # the package is not installed in this interpreter
        if _flag("INTERVEN_DISABLED"):
            return
        if _flag("INTERVEN_FAIL_OPEN"):
            sys.stderr.write(f"interven-autoguard: WARNING: not installed here ({exc}); running UNGUARDED\n")
            return
        sys.stderr.write(f"interven-autoguard: FATAL: cannot import interven_autoguard ({exc}); "
                         "refusing to run unguarded (set INTERVEN_FAIL_OPEN=1 to run anyway)\n")
        sys.stderr.flush()
        os._exit(78)
    # Same start-up as `python -m interven_autoguard run`: tracing if INTERVEN_TRACES, then
    # install(); on failure exit 78 unless INTERVEN_FAIL_OPEN / INTERVEN_DISABLED.
    activate_from_env("sitecustomize")


def _is_guard_sitecustomize(origin: str) -> bool:
    """A guard's own sitecustomize (``run``'s bootstrap, another copy of this file): the guard is
    installed already, and running it would chain back here, forever."""
    try:
        with open(origin, "rb") as source:
            return _MARK in source.read(4096)
    except OSError:
        return False


def _run_next_sitecustomize() -> None:
    """Run the sitecustomize that Python would have imported had this directory not come first."""
    search = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    while True:
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", search)
        if spec is None or spec.loader is None or not spec.origin or spec.origin == __file__:
            return
        if not _is_guard_sitecustomize(spec.origin):
            break
        skipped = os.path.dirname(os.path.abspath(spec.origin))
        search = [p for p in search if os.path.abspath(p or os.curdir) != skipped]
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_install_guard()
_run_next_sitecustomize()
