"""Gateway process for multi-process tests: safety net first, then the server's own ``main``."""

from __future__ import annotations

import sys

import safetynet

safetynet.install()

import gw_support  # noqa: E402

import interven_autoguard.gateway.server as server  # noqa: E402

# Same engine choice as the in-thread tests (the embedded engine once it is importable).
server.default_engine = gw_support.engine_factory()  # type: ignore[assignment]
sys.exit(server.main(sys.argv[1:]))
