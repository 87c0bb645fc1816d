"""Helpers for the ``run`` tests: launch the runner in a subprocess, a loopback HTTP server."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
PYTHON = sys.executable


def has_install() -> bool:
    try:
        import interven_autoguard
    except ImportError:
        return False
    return callable(getattr(interven_autoguard, "install", None))


HAS_INSTALL = has_install()
NEEDS_INSTALL = "interven_autoguard.install() is not available on this branch yet"

# Every script a test runs starts with the loopback safety net, before anything else.
PRELUDE = "import safetynet; safetynet.install()\n"


def write_script(path: Path, body: str) -> Path:
    path.write_text(PRELUDE + textwrap.dedent(body))
    return path


def child_env(
    extra: Mapping[str, str] | None = None, pythonpath: Sequence[Path | str] = ()
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVEN_", "OTEL_"))}
    env["PYTHONPATH"] = os.pathsep.join([*(str(p) for p in pythonpath), str(TESTS)])
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def runner_argv(args: Sequence[str]) -> list[str]:
    return [PYTHON, "-m", "interven_autoguard.runner", *args]


def run(args: Sequence[str], *, env: Mapping[str, str] | None = None, input: str | None = None,
        cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    # cwd defaults to the repository root so that `-m interven_autoguard.runner` resolves there.
    return subprocess.run(runner_argv(args), env=dict(env or child_env()), input=input, text=True,
                          capture_output=True, cwd=cwd or ROOT, timeout=timeout)


class _Recorder(http.server.BaseHTTPRequestHandler):
    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.received.append((self.command, self.path, body))  # type: ignore[attr-defined]
        payload = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _handle

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def loopback_server() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
