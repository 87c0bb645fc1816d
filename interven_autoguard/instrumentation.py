"""``opentelemetry-instrument python agent.py`` activates the guard with no code change.

Registered as the ``opentelemetry_instrumentor`` entry point ``interven_autoguard``, so
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=interven_autoguard`` switches it off like any other
instrumentation. Needs ``opentelemetry-instrumentation`` (optional; not imported by the core).

Dependencies: the guard always covers the standard library (``http.client``/``urllib``), so it has
no third-party library it *requires*: ``instrumentation_dependencies()`` is empty and the package
declares no ``instruments``/``instruments-any`` extra. Declaring e.g. ``requests`` there would make
``opentelemetry-instrument`` skip the guard in a program that has none of them — and leave its
stdlib calls unguarded, i.e. fail open. Libraries it also covers when present: see ``COVERED``.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

# Kept equal to the (empty) `instruments` extra of the distribution; a test checks the metadata.
_INSTRUMENTS: tuple[str, ...] = ()

# Informational: what install() patches when these are importable (lazily, at their import).
COVERED = ("requests", "urllib3", "httpx", "httpx2", "aiohttp", "http.client")


class IntervenInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Installs the guard (settings from ``INTERVEN_*``) and, on uninstrument, removes it."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return _INSTRUMENTS

    def _instrument(self, **kwargs: Any) -> None:
        if "opentelemetry.instrumentation.auto_instrumentation" in sys.modules:
            # Started by opentelemetry-instrument, before the program: fail closed like the `run`
            # bootstrap (exit 78), since the loader would log the error and run the program unguarded.
            from .runner import activate_from_env

            activate_from_env("opentelemetry-instrument")
            return
        import interven_autoguard

        interven_autoguard.install()  # type: ignore[attr-defined]  # called from code: errors propagate

    def _uninstrument(self, **kwargs: Any) -> None:
        import interven_autoguard

        uninstall = getattr(interven_autoguard, "uninstall", None)
        if uninstall is not None:
            uninstall()
