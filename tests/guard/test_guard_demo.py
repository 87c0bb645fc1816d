"""The example agent runs and shows each kind of decision, with what the server received."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent

WRAPPER = """
import safetynet
safetynet.install()
import runpy, sys
sys.argv = [sys.argv[1]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_demo_agent_allows_sanitizes_and_blocks(tmp_path: Path) -> None:
    wrapper = tmp_path / "run_demo.py"
    wrapper.write_text(WRAPPER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVEN_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS)])
    done = subprocess.run([sys.executable, str(wrapper), str(ROOT / "examples" / "demo_agent.py")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 4, done.stdout
    assert lines[0].startswith("[ALLOWED  ] requests") and "renewal call" in lines[0]
    assert lines[1].startswith("[SANITIZED] httpx") and "[REDACTED:US_SSN]" in lines[1]
    assert "478-23-9156" not in done.stdout
    assert lines[2].startswith("[BLOCKED  ] urllib") and "SSRF_METADATA" in lines[2]
    assert lines[3].startswith("[BLOCKED  ] aiohttp") and "CREDENTIAL_HOST_MISMATCH" in lines[3]


def test_demo_agent_under_the_runner(tmp_path: Path) -> None:
    """``python -m interven_autoguard run examples/demo_agent.py``: the runner installs the guard
    (the demo must not install a second one); our own sitecustomize (chained by the runner) puts
    the safety net in first."""
    (tmp_path / "sitecustomize.py").write_text("import safetynet\nsafetynet.install()\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVEN_")}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT), str(TESTS)])
    done = subprocess.run([sys.executable, "-m", "interven_autoguard", "run", "examples/demo_agent.py"],
                          capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert [line.split("]")[0] + "]" for line in done.stdout.splitlines()] == [
        "[ALLOWED  ]", "[SANITIZED]", "[BLOCKED  ]", "[BLOCKED  ]"]
