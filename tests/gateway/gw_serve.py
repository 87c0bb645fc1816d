"""Gateway process for multi-process tests: safety net first, then the server's own ``main``."""

from __future__ import annotations

import sys

import safetynet

safetynet.install()

if sys.argv[1:2] == ["--via-cli"]:  # exactly what `python -m interven_autoguard serve ...` runs
    from interven_autoguard.cli import main as cli_main

    sys.exit(cli_main(["serve", *sys.argv[2:]]))

from interven_autoguard.gateway.server import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
