"""Helpers for the gateway tests: a real uvicorn server on loopback, configs with hashed keys."""

from __future__ import annotations

import binascii
import json
import os
import secrets
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn

from interven_autoguard.gateway.config import GatewayConfig, hash_secret
from interven_autoguard.gateway.server import create_app

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(TESTS_DIR)
INTERVEN_VENV_PYTHON = os.environ.get("INTERVEN_SDK_PYTHON", "/work/interven-venv/bin/python")


def engine_factory() -> Callable[[str | None, Any], Any]:
    """The embedded engine (``LocalScanner``) with the gateway's approval store: what ``serve`` runs."""
    from interven_autoguard.gateway.server import default_engine

    return default_engine


def github_token() -> str:
    """A checksum-valid ghp_ token made at run time (the repository holds no token literal)."""
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase  # GitHub's base62 order
    body = "".join(secrets.choice(alphabet) for _ in range(30))
    crc = binascii.crc32(body.encode()) & 0xFFFFFFFF
    digits = ""
    while crc:
        crc, rem = divmod(crc, 62)
        digits = alphabet[rem] + digits
    return "ghp_" + body + digits.rjust(6, "0")


def ssn() -> str:
    # Valid-looking area/group/serial (not 000/666/9xx, not 00, not 0000), built at run time.
    area, group, serial = (secrets.choice(range(lo, hi)) for lo, hi in ((100, 600), (10, 99), (1000, 9999)))
    return f"{area}-{group}-{serial}"


# The default policy asks for approval before adding a collaborator on api.github.com; the test
# "github" tool lives on loopback, so the same rule is extended to it.
TEST_POLICY = """
[[rules]]
id = "loopback-github-collaborators"
decision = "REQUIRE_APPROVAL"
methods = ["PUT"]
hosts = ["127.0.0.1"]
paths = ["/repos/*/*/collaborators/*"]
"""


@dataclass
class Team:
    """Credentials of a test gateway: raw values for clients, hashes in the config."""

    api_key: str = field(default_factory=lambda: "iv_test_" + secrets.token_hex(16))
    other_key: str = field(default_factory=lambda: "iv_test_" + secrets.token_hex(16))
    limited_key: str = field(default_factory=lambda: "iv_test_" + secrets.token_hex(16))
    approver_token: str = field(default_factory=lambda: "apv_" + secrets.token_hex(16))
    agent_id: str = "00000000-0000-0000-0000-000000000010"
    agent_secret: str = field(default_factory=lambda: secrets.token_hex(24))
    tool_base_url: str = "http://127.0.0.1:9"
    policy_path: str | None = None  # TEST_POLICY written by the fixture

    def config_dict(self, **server: Any) -> dict[str, Any]:
        return {
            "server": {
                "rate_limit_per_minute": 10_000,
                **({"policy": self.policy_path} if self.policy_path else {}),
                **server,
            },
            "api_keys": [
                {"id": "team", "hash": hash_secret(self.api_key)},
                {"id": "other", "hash": hash_secret(self.other_key)},
                {"id": "limited", "hash": hash_secret(self.limited_key), "rate_limit_per_minute": 3},
            ],
            "approvers": [{"id": "alice", "token_hash": hash_secret(self.approver_token)}],
            "agents": [{"agent_id": self.agent_id, "name": "release-bot", "secret": self.agent_secret}],
            # "imds" points at the cloud metadata address: the engine must refuse it before any connect.
            "tools": {
                "github": {"base_url": self.tool_base_url},
                "imds": {"base_url": "http://169.254.169.254"},
            },
        }

    def config(self, **server: Any) -> GatewayConfig:
        return GatewayConfig.from_dict(self.config_dict(**server))

    def write_toml(self, path: str, **server: Any) -> str:
        lines = ["[server]"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in self.config_dict(**server)["server"].items()]
        data = self.config_dict()
        for table in ("api_keys", "approvers", "agents"):
            for item in data[table]:
                lines.append(f"\n[[{table}]]")
                lines += [f"{k} = {json.dumps(v)}" for k, v in item.items()]
        for name, tool in data["tools"].items():
            lines.append(f'\n[tools.{name}]\nbase_url = "{tool["base_url"]}"')
        with open(path, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        return path


class GatewayThread:
    """The real ASGI app served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(
        self, config: GatewayConfig, db_url: str, factory: Callable[[str | None, Any], Any] | None = None
    ) -> None:
        self.app = create_app(config, db_url=db_url, engine_factory=factory or engine_factory())
        self.gateway = self.app.state.gateway
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> GatewayThread:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("gateway did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self._thread.join(10)
        self._sock.close()
        self.gateway.refusals.close()  # what the app's lifespan does at shutdown (lifespan is off here)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gateway_process(
    config_path: str, db_url: str, port: int, *, via_cli: bool = False
) -> subprocess.Popen[bytes]:
    """``python -m``-style gateway process (safety net installed first), waits for /health."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([os.path.join(TESTS_DIR, "gateway"), TESTS_DIR, REPO_DIR]),
    }
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [
            sys.executable,
            os.path.join(TESTS_DIR, "gateway", "gw_serve.py"),
            *(["--via-cli"] if via_cli else []),
            "--port",
            str(port),
            "--config",
            config_path,
            "--db",
            db_url,
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    from interven_autoguard.gateway import Client

    probe = Client(api_key="unused", gateway_url=f"http://127.0.0.1:{port}", timeout=2)
    deadline = time.monotonic() + 20
    while not probe.health():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            log.seek(0)
            raise RuntimeError(f"gateway process did not start: {log.read().decode()[-2000:]}")
        time.sleep(0.1)
    return proc


def post_json(url: str, token: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A plain HTTP POST with a Bearer token (approvers use curl or a browser, not the SDK)."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def run_published_sdk(script: str, env: dict[str, str] | None = None, timeout: float = 60) -> Any:
    """Run a script with the published ``interven`` package in its own venv; returns its JSON output."""
    prelude = f"import sys, json\nsys.path.insert(0, {TESTS_DIR!r})\nimport safetynet\nsafetynet.install()\n"
    proc = subprocess.run(
        [INTERVEN_VENV_PYTHON, "-c", prelude + script],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError(f"published SDK script failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


class UpstreamRecorder:
    """A loopback 'tool' (e.g. the GitHub API stand-in) that records every request it receives."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                out = json.dumps({"ok": True, "path": self.path}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> UpstreamRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
