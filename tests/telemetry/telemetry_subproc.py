"""Run a snippet in a fresh interpreter (global OTel providers are set-once per process)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
PRELUDE = "import safetynet; safetynet.install()\n"


def has_install() -> bool:
    try:
        import interven_autoguard
    except ImportError:
        return False
    return callable(getattr(interven_autoguard, "install", None))


def env_for(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVEN_", "OTEL_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS)])
    env.update(extra or {})
    return env


def run_snippet(body: str, extra_env: Mapping[str, str] | None = None, *, timeout: float = 90,
                argv: list[str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    code = PRELUDE + textwrap.dedent(body)
    cmd = argv if argv is not None else [sys.executable, "-c", code]
    return subprocess.run(cmd, env=env_for(extra_env), capture_output=True, text=True, timeout=timeout,
                          cwd=cwd or ROOT)
