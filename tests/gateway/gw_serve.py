"""Gateway process for multi-process tests: safety net first, then the server's own ``main``."""

from __future__ import annotations

import sys

import safetynet

safetynet.install()

from interven_autoguard.gateway.server import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
